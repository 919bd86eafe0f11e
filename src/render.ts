// One resource + the key store → rendered output and the keys it used or missed.
import { isUnder } from '../backends/types.js';
import { KeyStore, KeyView, RenderScope } from './store.js';
import type { LoadedResource } from './load.js';
import type { RenderResult } from './template.js';

export interface ResourceRender extends RenderResult {
  /** Missing keys that lie outside the resource's `keys`: they can never arrive, so this is a config mistake. */
  undeclaredKeys: string[];
}

/** A resource sees only the keys under its own `keys`, as in confd, whatever else the mirror holds. */
export function viewFor(store: KeyStore, keys: readonly string[]): KeyView {
  return new KeyView(store, keys);
}

export async function renderResource({ resource, template }: LoadedResource, store: KeyStore, environment: NodeJS.ProcessEnv): Promise<ResourceRender> {
  const scope = new RenderScope(viewFor(store, resource.keys), resource.prefix, resource.srcName, environment);
  const result = await template.render(scope);
  const undeclaredKeys = result.missingKeys.filter((k) => !resource.keys.some((p) => isUnder(k, p)));
  return { ...result, undeclaredKeys };
}
