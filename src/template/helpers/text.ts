// String, path, JSON, environment and encoding helpers with Go's semantics (strings, path, strconv, base64).
import { statSync } from 'node:fs';
import { int, keyArg, list, str, type HelperCall, type HelperTable } from './common.js';
import { goCase } from '../../ops/go-case.js';
import { goBase, goDir } from './path.js';

/** Go strings.Split: "" as separator splits into characters; "" as input gives [""]. */
function split(s: string, sep: string): string[] {
  return sep === '' ? Array.from(s) : s.split(sep);
}

/**
 * Go strings.Replace: n < 0 replaces all, else the first n; an empty `old` matches before each character and at the
 * end. Shared by the Handlebars helper and the Go engine's confd function.
 */
export function goReplace(s: string, old: string, replacement: string, n: number): string {
  if (n === 0 || old === replacement) return s;
  const limit = n < 0 ? Infinity : n;
  let out = '';
  let done = 0;
  if (old === '') {
    const chars = Array.from(s);
    for (let i = 0; i <= chars.length; i++) {
      if (done < limit) {
        out += replacement;
        done++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let from = 0;
  while (done < limit) {
    const at = s.indexOf(old, from);
    if (at < 0) break;
    out += s.slice(from, at) + replacement;
    from = at + old.length;
    done++;
  }
  return out + s.slice(from);
}

/** JSON.parse without leaking the input: Node's SyntaxError quotes the text, which may be a secret. */
function parseJson(call: HelperCall, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return call.fail('invalid JSON (value not shown: it may be secret)');
  }
}

function json(call: HelperCall, args: readonly unknown[]): Record<string, unknown> {
  const parsed = parseJson(call, str(call, args[0], 'argument'));
  // Go unmarshals `null` into a nil map: an empty object, not an error.
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return call.fail(`expected a JSON object, got ${Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`} (use jsonArray for arrays)`);
  }
  return parsed as Record<string, unknown>;
}

function jsonArray(call: HelperCall, args: readonly unknown[]): unknown[] {
  const parsed = parseJson(call, str(call, args[0], 'argument'));
  if (parsed === null) return [];
  if (!Array.isArray(parsed)) {
    return call.fail(`expected a JSON array, got ${parsed !== null && typeof parsed === 'object' ? 'an object' : `a ${typeof parsed}`} (use json for objects)`);
  }
  return parsed;
}

function map(call: HelperCall, args: readonly unknown[]): Record<string, unknown> {
  if (args.length % 2 !== 0) call.fail(`expects key/value pairs, got an odd number of arguments (${args.length})`);
  // No prototype: a key such as `__proto__` or `constructor` is just a key.
  const result: Record<string, unknown> = Object.create(null);
  for (let i = 0; i < args.length; i += 2) {
    result[keyArg(call, args[i], `argument ${i + 1} (a map key)`)] = args[i + 1];
  }
  return result;
}

function getenv(call: HelperCall, args: readonly unknown[]): string {
  const name = str(call, args[0], 'variable name');
  const fallback = args.length > 1 ? str(call, args[1], 'default') : '';
  const environment = call.scope?.environment ?? process.env;
  const value = environment[name];
  // As in confd (os.Getenv): set-but-empty counts as unset.
  return value === undefined || value === '' ? fallback : value;
}

/** Go's util.IsFileExist: only "does not exist" is false; other stat errors (EACCES) count as existing. */
function fileExists(call: HelperCall, args: readonly unknown[]): boolean {
  try {
    return statSync(str(call, args[0], 'path'), { throwIfNoEntry: false }) !== undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOTDIR';
  }
}

// Standard alphabet, padding required; Go's decoder skips \r and \n.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function base64Decode(call: HelperCall, args: readonly unknown[]): string {
  const text = str(call, args[0], 'argument').replace(/[\r\n]/g, '');
  if (!BASE64.test(text)) return call.fail('invalid base64 (standard alphabet with = padding expected)');
  return Buffer.from(text, 'base64').toString('utf8');
}

const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseBool(call: HelperCall, args: readonly unknown[]): boolean {
  const value = args[0];
  if (typeof value === 'boolean') return value;
  const text = str(call, value, 'argument');
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  return call.fail('not a boolean (accepted: 1 t T TRUE true True 0 f F FALSE false False)');
}

/** Now as RFC 3339 in UTC, seconds precision (Go's time.RFC3339 layout). */
function datetime(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const textHelpers: HelperTable = {
  base: { arity: [1, 1], fn: (call, [p]) => goBase(str(call, p, 'path')) },
  dir: { arity: [1, 1], fn: (call, [p]) => goDir(str(call, p, 'path')) },
  split: { arity: [2, 2], fn: (call, [s, sep]) => split(str(call, s, 'string'), str(call, sep, 'separator')) },
  join: {
    arity: [2, 2],
    fn: (call, [items, sep]) =>
      list(call, items, 'first argument')
        .map((item, i) => str(call, item, `item ${i + 1}`))
        .join(str(call, sep, 'separator')),
  },
  toUpper: { arity: [1, 1], fn: (call, [s]) => goCase(str(call, s, 'argument'), true) },
  toLower: { arity: [1, 1], fn: (call, [s]) => goCase(str(call, s, 'argument'), false) },
  contains: { arity: [2, 2], fn: (call, [s, sub]) => str(call, s, 'string').includes(str(call, sub, 'substring')) },
  replace: {
    arity: [4, 4],
    fn: (call, [s, old, replacement, n]) =>
      goReplace(str(call, s, 'string'), str(call, old, 'old'), str(call, replacement, 'new'), int(call, n, 'n (the replacement count, -1 for all)')),
  },
  trimSuffix: {
    arity: [2, 2],
    fn: (call, [s, suffix]) => {
      const text = str(call, s, 'string');
      const suf = str(call, suffix, 'suffix');
      return suf !== '' && text.endsWith(suf) ? text.slice(0, -suf.length) : text;
    },
  },
  json: { arity: [1, 1], fn: json },
  jsonArray: { arity: [1, 1], fn: jsonArray },
  map: { arity: [0, Infinity], fn: map },
  getenv: { arity: [1, 2], fn: getenv },
  datetime: { arity: [0, 0], fn: datetime },
  fileExists: { arity: [1, 1], fn: fileExists },
  base64Encode: { arity: [1, 1], fn: (call, [s]) => Buffer.from(str(call, s, 'argument'), 'utf8').toString('base64') },
  base64Decode: { arity: [1, 1], fn: base64Decode },
  parseBool: { arity: [1, 1], fn: parseBool },
};
