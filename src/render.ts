// One resource + the key store → rendered output and the keys it used or missed.
import { isUnder } from '../backends/types.js';
import { ResourceScope } from './reads.js';
import { KeyStore, KeyView } from './store.js';
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

/** Synchronous unless the template makes DNS lookups (see CompiledTemplate.render). */
export function renderResource({ resource, template }: LoadedResource, store: KeyStore, environment: NodeJS.ProcessEnv): ResourceRender | Promise<ResourceRender> {
  const scope = new ResourceScope(viewFor(store, resource.keys), resource, resource.srcName, environment);
  const result = template.render(scope);
  return result instanceof Promise ? result.then((r) => withUndeclared(r, resource.keys)) : withUndeclared(result, resource.keys);
}

function withUndeclared(result: RenderResult, keys: readonly string[]): ResourceRender {
  const render = result as ResourceRender;
  render.undeclaredKeys = result.missingKeys.length === 0 ? [] : result.missingKeys.filter((k) => !keys.some((p) => isUnder(k, p)));
  return render;
}
