// The Handlebars helpers keyplate templates can call: confd's template functions, same names and meaning.
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

/** Register every helper (or those `include` accepts) on a Handlebars environment (`Handlebars.create()` or `handlebars/runtime`). */
export function registerHelpers(env: HelperEnvironment, include: (name: string) => boolean = () => true): void {
  for (const [name, spec] of Object.entries(helpers)) if (include(name)) env.registerHelper(name, toHandlebarsHelper(name, spec));
}
