// The Handlebars helpers keyplate templates can call: confd's template functions, same names and meaning.
import { boundedEach } from '../render-limits.js';
import { toHandlebarsHelper, type HelperEnvironment, type HelperTable } from './common.js';
import { goHelpers } from './go.js';
import { kvHelpers } from './kv.js';
import { mathHelpers } from './math.js';
import { netHelpers } from './net.js';
import { textHelpers } from './text.js';

export { resolvePendingLookups, type SrvRecord } from './net.js';
export type { HelperEnvironment } from './common.js';

const helpers: HelperTable = { ...kvHelpers, ...textHelpers, ...mathHelpers, ...netHelpers, ...goHelpers };

/** Every helper name, for `keyplate check` to reject misspelt helpers before anything renders. */
export const helperNames: readonly string[] = Object.freeze(Object.keys(helpers).sort());

/** How many arguments helper `name` takes ([min, max], max Infinity when open), for the check before any render. */
export function helperArity(name: string): readonly [number, number] | undefined {
  return Object.hasOwn(helpers, name) ? helpers[name].arity : undefined;
}

/** Register every helper (or those `include` accepts) on a Handlebars environment (`Handlebars.create()` or `handlebars/runtime`). */
export function registerHelpers(env: HelperEnvironment, include: (name: string) => boolean = () => true): void {
  for (const [name, spec] of Object.entries(helpers)) if (include(name)) env.registerHelper(name, toHandlebarsHelper(name, spec));
  // Handlebars' `each` is the one loop a template has: ours is bounded by the render's budget (see render-limits.ts).
  if (env.helpers?.each !== undefined) env.registerHelper('each', boundedEach);
}
