// One resource + the key store → rendered output and the keys it used or missed.
import { isUnder } from '../backends/types.js';
import { RenderError } from './errors.js';
import { ResourceScope } from './resource-scope.js';
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
  let result: RenderResult | Promise<RenderResult>;
  try {
    result = template.render(scope);
  } catch (error) {
    throw outOfRoom(error, resource.srcName);
  }
  return result instanceof Promise ? result.then((r) => finished(r, scope), (error: unknown) => Promise.reject(outOfRoom(error, resource.srcName))) : finished(result, scope);
}

/**
 * A render that hit one of V8's own limits (a string past ~512 MiB built by one helper, the stack) says so in
 * keyplate's words; every other error is returned as it is.
 */
function outOfRoom(error: unknown, template: string): unknown {
  const cause = error instanceof RenderError ? error.cause : error;
  if (!(cause instanceof RangeError)) return error;
  const what = /string length/i.test(cause.message) ? 'built a string longer than Node can hold' : /call stack/i.test(cause.message) ? 'nested deeper than Node\'s stack allows' : cause.message;
  return new RenderError(`${template}: the render ${what} and was stopped; check the template for a runaway helper call (replace, printf, seq)`, { cause });
}

/** A render within its limits (output size; time is checked as it runs), with its undeclared missing keys. */
function finished(result: RenderResult, scope: ResourceScope): ResourceRender {
  scope.budget.checkOutput(result.output);
  const keys = scope.resource.keys;
  const render = result as ResourceRender;
  render.undeclaredKeys = result.missingKeys.length === 0 ? [] : result.missingKeys.filter((k) => !keys.some((p) => isUnder(k, p)));
  return render;
}
