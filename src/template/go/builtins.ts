// text/template's predefined functions (Go 1.19 text/template/funcs.go): and, or, not, len, index, slice, eq, ne,
// lt, le, gt, ge, print, printf, println, html, js, urlquery, call — with Go's argument handling and error texts.
import { printOne, sprint, sprintln } from './print.js';
import { sprintf } from './printf.js';
import { compareGoStrings } from './sort.js';
import { callFailed as fail } from './state.js';
import { GoComplex, GoInt, GoMap, GoPtr, GoSlice, T, assignable, canBeNil, comparable, isIntKind, isTrue, isUintKind, sameValue, typeOf, zeroOf, goFunc, type GoFunc, type GoType, type Value } from './values.js';

const RV = T.reflectValue;


/** indexArg: an integer index within [0, cap]. */
function indexArg(index: Value, cap: number): number {
  let x: bigint;
  if (typeof index === 'bigint') x = index;
  else if (index instanceof GoInt) x = index.v;
  else if (index === undefined || index === null) return fail('cannot index slice/array with nil');
  else return fail(`cannot index slice/array with type ${typeOf(index).name}`);
  if (x < 0n || x > BigInt(cap)) fail(`index out of range: ${x}`);
  return Number(x);
}

/** prepareArg: a map key must be assignable to the key type (string here). */
function prepareArg(value: Value, argType: GoType): Value {
  if (value === undefined || value === null) {
    if (!canBeNil(argType)) fail(`value is nil; should be of type ${argType.name}`);
    return zeroOf(argType);
  }
  const from = typeOf(value);
  if (assignable(from, argType)) return value;
  return fail(`value has type ${from.name}; should be ${argType.name}`);
}

/** index: item[i][j]…; a missing map key gives the element type's zero value. */
function index([item, ...indexes]: Value[]): Value {
  if (item === undefined || item === null) fail('index of untyped nil');
  for (let index of indexes) {
    if (index === null) index = undefined;
    if (item instanceof GoPtr) {
      if (!item.elem) fail('index of nil pointer');
      item = item.elem;
    }
    if (item === null) fail('index of nil pointer');
    if (typeof item === 'string') {
      const bytes = Buffer.from(item, 'utf8');
      const x = indexArg(index, bytes.length);
      if (x === bytes.length) fail('reflect: string index out of range');
      item = new GoInt(T.uint8, BigInt(bytes[x]));
    } else if (item instanceof GoSlice) {
      const x = indexArg(index, item.items.length);
      if (x === item.items.length) fail('reflect: slice index out of range');
      item = item.items[x];
    } else if (item instanceof GoMap) {
      const key = prepareArg(index, item.type.key!) as string;
      item = item.entries.has(key) ? item.entries.get(key) : zeroOf(item.type.elem!);
    } else {
      fail(`can't index item of type ${typeOf(item!).name}`);
    }
  }
  return item;
}

/** slice: item[i:j:k] of a string (bytes) or a slice. */
function slice([item, ...indexes]: Value[]): Value {
  if (item === undefined || item === null) fail('slice of untyped nil');
  if (indexes.length > 3) fail(`too many slice indexes: ${indexes.length}`);
  let length: number;
  let bytes: Buffer | undefined;
  if (typeof item === 'string') {
    if (indexes.length === 3) fail('cannot 3-index slice a string');
    bytes = Buffer.from(item, 'utf8');
    length = bytes.length;
  } else if (item instanceof GoSlice) length = item.items.length;
  else return fail(`can't slice item of type ${typeOf(item).name}`);
  const idx = [0, length, 0];
  indexes.forEach((index, i) => (idx[i] = indexArg(index === null ? undefined : index, length)));
  if (idx[0] > idx[1]) fail(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) fail(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (bytes) return bytes.subarray(idx[0], idx[1]).toString('utf8');
  const s = item as GoSlice;
  return new GoSlice(s.type, s.items.slice(idx[0], idx[1]));
}

function length([item]: Value[]): Value {
  if (item === null || (item instanceof GoPtr && !item.elem)) fail('len of nil pointer');
  if (item instanceof GoPtr) item = item.elem;
  if (item === undefined) fail('reflect: call of reflect.Value.Type on zero Value');
  if (typeof item === 'string') return BigInt(Buffer.byteLength(item, 'utf8'));
  if (item instanceof GoSlice) return BigInt(item.items.length);
  if (item instanceof GoMap) return BigInt(item.entries.size);
  return fail(`len of type ${typeOf(item!).name}`);
}

type BasicKind = 'bool' | 'int' | 'uint' | 'float' | 'complex' | 'string' | 'invalid';

function basicKind(v: Value): BasicKind {
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
  }
  if (v instanceof GoInt) return isUintKind(v.type) ? 'uint' : isIntKind(v.type) ? 'int' : 'invalid';
  if (v instanceof GoComplex) return 'complex';
  return 'invalid';
}

const intOf = (v: Value): bigint => (typeof v === 'bigint' ? v : (v as GoInt).v);

/** Go's == on values of one basic kind. */
function basicEqual(k: BasicKind, a: Value, b: Value): boolean {
  if (k === 'int' || k === 'uint') return intOf(a) === intOf(b);
  if (k === 'complex') return sameValue(a, b);
  return a === b;
}

/** eq: arg1 == arg2 || arg1 == arg3 …; integers compare across signedness, other kinds must match. */
function eq([arg1, ...rest]: Value[]): boolean {
  if (arg1 === null) arg1 = undefined;
  if (arg1 !== undefined && !comparable(typeOf(arg1))) fail(`uncomparable type ${typeOf(arg1).name}: ${printOne(arg1)}`);
  if (rest.length === 0) fail('missing argument for comparison');
  const k1 = basicKind(arg1);
  for (let arg of rest) {
    if (arg === null) arg = undefined;
    const k2 = basicKind(arg);
    let truth = false;
    if (k1 !== k2) {
      if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) truth = intOf(arg1) === intOf(arg);
      else if (arg1 !== undefined && arg !== undefined) fail('incompatible types for comparison');
    } else if (k1 !== 'invalid') truth = basicEqual(k1, arg1, arg);
    else if (arg === undefined || arg1 === undefined) truth = arg1 === arg;
    else {
      if (!comparable(typeOf(arg))) fail(`uncomparable type ${typeOf(arg).name}: ${printOne(arg)}`);
      truth = sameValue(arg1, arg);
    }
    if (truth) return true;
  }
  return false;
}

/** lt: only basic kinds order; bool and complex have no order. */
function lt([a, b]: Value[]): boolean {
  if (a === null) a = undefined;
  if (b === null) b = undefined;
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k2 === 'invalid') fail('invalid type for comparison');
  if (k1 !== k2) {
    if ((k1 === 'int' && k2 === 'uint') || (k1 === 'uint' && k2 === 'int')) return intOf(a) < intOf(b);
    fail('incompatible types for comparison');
  }
  switch (k1) {
    case 'bool':
    case 'complex':
      return fail('invalid type for comparison');
    case 'string':
      return compareGoStrings(a as string, b as string) < 0;
    case 'float':
      return (a as number) < (b as number);
    default:
      return intOf(a) < intOf(b);
  }
}

const le = (args: Value[]): boolean => lt(args) || eq(args);

/** Sprint with each argument as text/template prints it (evalArgs): no value prints <no value>. */
function evalArgs(args: Value[]): string {
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  return sprint(args.map((a) => (a === undefined || a === null ? '<no value>' : a instanceof GoPtr && a.elem ? a.elem : a)));
}

const HTML_ESCAPES: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** template.JSEscapeString. */
function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (r >= 0x20 && r < 0x80 && !'\\\'"<>&='.includes(ch)) out += ch;
    else if (ch === '\\' || ch === "'" || ch === '"') out += `\\${ch}`;
    else if (r < 0x80) out += `\\u00${r.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch) ? ch : `\\u${r.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes as they are, space as +, everything else %XX. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function builtin(name: string, params: GoType[], variadic: GoType | undefined, result: GoType, returnsError: boolean, impl: (args: Value[]) => Value): GoFunc {
  return { ...goFunc(name, params, result, returnsError, impl, variadic), builtin: true };
}

/** The builtins by name (findFunction looks here after the template's own functions). */
export const builtins: ReadonlyMap<string, GoFunc> = new Map(
  [
    builtin('and', [RV], RV, RV, false, () => undefined), // short-circuit: evaluated by evalCall
    builtin('or', [RV], RV, RV, false, () => undefined),
    builtin('not', [RV], undefined, T.bool, false, ([a]) => !isTrue(a)),
    builtin('call', [RV], RV, RV, true, ([fn]) => fail(fn === undefined || fn === null ? 'call of nil' : `non-function of type ${typeOf(fn).name}`)),
    builtin('html', [], T.iface, T.string, false, (args) => evalArgs(args).replace(/["'&<>]/g, (c) => HTML_ESCAPES[c])),
    builtin('js', [], T.iface, T.string, false, (args) => jsEscape(evalArgs(args))),
    builtin('urlquery', [], T.iface, T.string, false, (args) => queryEscape(evalArgs(args))),
    builtin('index', [RV], RV, RV, true, index),
    builtin('slice', [RV], RV, RV, true, slice),
    builtin('len', [RV], undefined, T.int, true, length),
    builtin('print', [], T.iface, T.string, false, (args) => sprint(args)),
    builtin('printf', [T.string], T.iface, T.string, false, ([format, ...args]) => sprintf(format as string, args)),
    builtin('println', [], T.iface, T.string, false, (args) => sprintln(args)),
    builtin('eq', [RV], RV, T.bool, true, eq),
    builtin('ne', [RV, RV], undefined, T.bool, true, (args) => !eq(args)),
    builtin('lt', [RV, RV], undefined, T.bool, true, lt),
    builtin('le', [RV, RV], undefined, T.bool, true, le),
    builtin('gt', [RV, RV], undefined, T.bool, true, (args) => !le(args)),
    builtin('ge', [RV, RV], undefined, T.bool, true, (args) => !lt(args)),
  ].map((f) => [f.name, f]),
);
