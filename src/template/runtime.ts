// Start-time machinery (see README "Benchmarks"; the other parts: template/precompiled-cache.ts,
// resources/resource-cache.ts, config/toml.ts's parseTomlCached, all on cache/disk.ts): how compiled Handlebars
// templates are run. Figures measured on this project's machine, cold process, Node 20.
//
// - Runtime sharing: Handlebars re-wraps every registered helper on every template call (~50 µs with all 47
//   registered). A template names its helpers as string literals in its compiled code, so its runtime registers only
//   those, with the same semantics. Templates naming the same helpers share one runtime (Handlebars keeps each
//   template's state apart): a runtime per template cost 100 distinct templates 15–30 ms.
// - The `_setup` patch: Handlebars sets a template up on every call (it wraps the helpers again and rebuilds the
//   prototype-access rules: ~2.7 KB and ~15 µs a call). What it builds depends only on the call's helpers, partials,
//   decorators and access options; keyplate passes none of them, only `data`, so the first call's set-up serves every
//   later one. `_setup` is private to Handlebars: package.json pins the exact version, and test/template-runtime.test.ts
//   fails if the function disappears or the patched template stops giving Handlebars' own output.
import Runtime from 'handlebars/runtime';
import { writeOut } from '../ops/output.js';
import { redactValues } from '../ops/redact.js';
import { helperNames, registerHelpers } from './helpers/index.js';
import type { RenderScope } from './scope.js';

/** A compiled template as Handlebars gives it: context and options in, the text out. */
export type TemplateFn = (context: object, options: { data: { keyplate: RenderScope } }) => string;

/** The Handlebars version the compiled specs and the `_setup` patch are made for (part of every cache key). */
export const handlebarsVersion: string = Runtime.VERSION;

/** Handlebars' own helpers; helperMissing and blockHelperMissing are always kept (the runtime moves them to hooks). */
const builtinHelpers = ['blockHelperMissing', 'helperMissing', 'each', 'if', 'unless', 'with', 'log', 'lookup'];

/** Runtime environments by the helpers they hold: templates naming the same helpers share one. */
const runtimes = new Map<string, typeof Runtime>();
let knownHelpers: Set<string> | undefined;

/** A runtime environment holding only `helpers` (sorted names, as helpersOf gives them), shared by every template naming them. */
function runtimeFor(helpers: readonly string[]): typeof Runtime {
  const key = helpers.join(' ');
  let env = runtimes.get(key);
  if (env) return env;
  const named = new Set(helpers);
  env = Runtime.create();
  for (const name of builtinHelpers) {
    if (name !== 'helperMissing' && name !== 'blockHelperMissing' && !named.has(name)) env.unregisterHelper(name);
  }
  registerHelpers(env, (name) => named.has(name));
  // {{log}} goes to stderr like every other log line (Handlebars would print to stdout through console), with the
  // backend values in it hidden as in any log line (ops/redact.ts): the render's scope holds the store.
  if (named.has('log')) {
    env.registerHelper('log', (...args: unknown[]) => {
      const options = args.pop() as { data?: { keyplate?: RenderScope } };
      const text = args.map(String).join(' ');
      const store = options.data?.keyplate?.store;
      writeOut(2, `keyplate template log: ${store ? redactValues(text, store) : text}\n`);
    });
  }
  runtimes.set(key, env);
  return env;
}

/** The helpers a precompiled spec (JavaScript source) names as string literals, sorted: what its runtime must hold. */
export function helpersOf(spec: string): string[] {
  const known = (knownHelpers ??= new Set([...builtinHelpers, ...helperNames]));
  const named = new Set<string>();
  for (const m of spec.matchAll(/"([A-Za-z_][\w]*)"/g)) if (known.has(m[1])) named.add(m[1]);
  return [...named].sort();
}

/** A runnable template from a precompiled spec object and the helpers it names, set up once (see the file's header). */
export function templateFromSpec(spec: object, helpers: readonly string[]): TemplateFn {
  return setUpOnce(runtimeFor(helpers).template(spec as never) as unknown as TemplateFn);
}

/**
 * Replace the template's private `_setup` with one that runs Handlebars' own set-up on the first call only (a call
 * as a partial keeps Handlebars' own handling). Left unpatched if Handlebars no longer has `_setup`.
 */
export function setUpOnce(template: TemplateFn): TemplateFn {
  const t = template as TemplateFn & { _setup?: (options: { partial?: boolean }) => void };
  const setUp = t._setup;
  if (typeof setUp !== 'function') return template;
  let done = false;
  t._setup = function (this: unknown, options) {
    if (done && !options.partial) return;
    setUp.call(this, options);
    done = !options.partial;
  };
  return template;
}
