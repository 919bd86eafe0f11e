// A compiled template + the key store → rendered output and the keys it used or missed. What it needs of a resource
// is written out here (RenderTarget), so the template stage does not depend on resources.
import { RenderError } from '../errors.js';
import { isUnder } from '../keys/paths.js';
import { KeyView, type KeyStore } from '../keys/store.js';
import type { CompiledTemplate, RenderResult } from './handlebars.js';
import { ResourceScope } from './resource-scope.js';

/**
 * What a render needs of a resource: its name and the keys it may read (reads outside them are errors), its prefix,
 * its template's name (for errors), and its limits: render_timeout (ms) and max_output (bytes).
 */
export interface RenderTarget {
  readonly name: string;
  readonly keys: readonly string[];
  readonly prefix: string;
  readonly srcName: string;
  readonly renderTimeout: number;
  readonly maxOutput: number;
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
  // The resource's keys in the store's spelling (KeyStore.keyOf), as its reads are: env reads `/a_b` as `/a/b`.
  const keys = store.spell(target.keys);
  const scope = new ResourceScope(new KeyView(store, keys), keys === target.keys ? target : { ...target, keys }, target.srcName, environment);
  scope.literalArgs = literalArgsOf(template);
  let result: RenderResult | Promise<RenderResult>;
  try {
    result = template.render(scope);
  } catch (error) {
    throw outOfRoom(error, target.srcName);
  }
  return result instanceof Promise ? result.then((r) => finished(r, scope), (error: unknown) => Promise.reject(outOfRoom(error, target.srcName))) : finished(result, scope);
}

/** Each template's literal read arguments as a set, made on its first render (a template renders many times). */
const literalArgSets = new WeakMap<CompiledTemplate, ReadonlySet<string>>();

function literalArgsOf(template: CompiledTemplate): ReadonlySet<string> {
  let set = literalArgSets.get(template);
  if (!set) literalArgSets.set(template, (set = new Set(template.reads.map((r) => r.arg))));
  return set;
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

/**
 * Tells the launcher (scripts/launcher.cjs) that this run rendered, so the V8 code cache it saves at exit holds the
 * render path: a cache made by a run that rendered nothing (`--version`) is replaced by the next run that renders.
 */
const rendered = Symbol.for('keyplate.rendered');

/** A render within its limits (output size; time is checked as it runs), with its undeclared missing keys. */
function finished(result: RenderResult, scope: ResourceScope): ResourceRender {
  (globalThis as Record<symbol, unknown>)[rendered] = true;
  scope.budget.checkOutput(result.output);
  const keys = scope.resource.keys;
  const render = result as ResourceRender;
  render.undeclaredKeys = result.missingKeys.length === 0 ? [] : result.missingKeys.filter((k) => !keys.some((p) => isUnder(k, p)));
  return render;
}
