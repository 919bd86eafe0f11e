// A compiled template + the key store → rendered output and the keys it used or missed. What it needs of a resource
// is written out here (RenderTarget), so the template stage does not depend on resources.
import { isUnder } from '../keys/paths.js';
import { KeyView, type KeyStore } from '../keys/store.js';
import type { CompiledTemplate, RenderResult } from './handlebars.js';
import { RenderScope } from './scope.js';

/** What a render needs of a resource: the keys it may read, its prefix, and its template's name (for errors). */
export interface RenderTarget {
  readonly keys: readonly string[];
  readonly prefix: string;
  readonly srcName: string;
}

/** A render's result, with the missing keys that lie outside the resource's `keys`. */
export interface ResourceRender extends RenderResult {
  /** Missing keys outside the resource's `keys`: they can never arrive, so this is a config mistake. */
  undeclaredKeys: string[];
}

/**
 * Render `template` for `target`, which sees only the keys under its own `keys` (as in confd), whatever else the
 * store holds. Synchronous unless the template makes DNS lookups (see CompiledTemplate.render).
 */
export function renderResource(template: CompiledTemplate, target: RenderTarget, store: KeyStore, environment: NodeJS.ProcessEnv): ResourceRender | Promise<ResourceRender> {
  const scope = new RenderScope(new KeyView(store, target.keys), target.prefix, target.srcName, environment);
  const result = template.render(scope);
  return result instanceof Promise ? result.then((r) => withUndeclared(r, target.keys)) : withUndeclared(result, target.keys);
}

function withUndeclared(result: RenderResult, keys: readonly string[]): ResourceRender {
  const render = result as ResourceRender;
  render.undeclaredKeys = result.missingKeys.length === 0 ? [] : result.missingKeys.filter((k) => !keys.some((p) => isUnder(k, p)));
  return render;
}
