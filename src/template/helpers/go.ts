// Go template built-ins that confd templates lean on (eq, ne, lt, and, or, not, len, printf): Handlebars has
// none of them, and without them porting `{{if eq (getv "/mode") "prod"}}` would need a rewrite of the logic.
import { str, type HelperCall, type HelperTable } from './common.js';

/** Go's truth: false, 0, "", nil and empty lists or maps are false; everything else is true. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function kind(value: unknown): 'number' | 'string' | 'boolean' | 'other' {
  return typeof value === 'number' ? 'number' : typeof value === 'string' ? 'string' : typeof value === 'boolean' ? 'boolean' : 'other';
}

/** Go compares only values of one basic kind; mixing them is an error, never a silent false. */
function comparable(call: HelperCall, a: unknown, b: unknown): void {
  const [ka, kb] = [kind(a), kind(b)];
  if (ka === 'other' || kb === 'other') call.fail('can compare only strings, numbers and booleans');
  if (ka !== kb) call.fail(`cannot compare a ${ka} with a ${kb}; convert one with atoi or printf`);
}

function order(call: HelperCall, args: readonly unknown[]): number {
  const [a, b] = args;
  comparable(call, a, b);
  if (typeof a === 'boolean') return call.fail('booleans have no order');
  return (a as number | string) < (b as number | string) ? -1 : a === b ? 0 : 1;
}

/** Go's fmt subset: %s %v %d %q %%; anything else is an error naming the verb. */
function printf(call: HelperCall, args: readonly unknown[]): string {
  const format = str(call, args[0], 'format');
  let next = 1;
  const out = format.replace(/%(.)/g, (_, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const value = args[next++];
    switch (verb) {
      case 's':
      case 'v':
        return Array.isArray(value) ? `[${value.map(String).join(' ')}]` : String(value);
      case 'd':
        if (typeof value !== 'number' || !Number.isInteger(value)) return call.fail('%d needs an integer; convert a string with atoi');
        return String(value);
      case 'q':
        return JSON.stringify(String(value));
      default:
        return call.fail(`verb %${verb} is not supported (use %s, %v, %d, %q or %%)`);
    }
  });
  return next < args.length ? `${out}%!(EXTRA ${args.length - next})` : out;
}

export const goHelpers: HelperTable = {
  eq: {
    arity: [2, Infinity],
    fn: (call, [a, ...rest]) =>
      rest.some((b) => {
        comparable(call, a, b);
        return a === b;
      }),
  },
  ne: {
    arity: [2, 2],
    fn: (call, [a, b]) => {
      comparable(call, a, b);
      return a !== b;
    },
  },
  lt: { arity: [2, 2], fn: (call, args) => order(call, args) < 0 },
  le: { arity: [2, 2], fn: (call, args) => order(call, args) <= 0 },
  gt: { arity: [2, 2], fn: (call, args) => order(call, args) > 0 },
  ge: { arity: [2, 2], fn: (call, args) => order(call, args) >= 0 },
  and: { arity: [1, Infinity], fn: (_call, args) => args.find((a) => !truthy(a)) ?? args[args.length - 1] },
  or: { arity: [1, Infinity], fn: (_call, args) => args.find((a) => truthy(a)) ?? args[args.length - 1] },
  not: { arity: [1, 1], fn: (_call, [a]) => !truthy(a) },
  len: {
    arity: [1, 1],
    fn: (call, [a]) => {
      if (typeof a === 'string') return Buffer.byteLength(a); // Go counts bytes
      if (Array.isArray(a)) return a.length;
      if (a && typeof a === 'object') return Object.keys(a).length;
      return call.fail('needs a string, list or map');
    },
  },
  printf: { arity: [1, Infinity], fn: printf },
};
