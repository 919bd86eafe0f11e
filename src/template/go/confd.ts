// confd's template functions besides the key store (confd 0.17 resource/template/template_funcs.go newFuncMap),
// each with its Go signature, so arguments are checked and converted exactly as confd's text/template does.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { goBase, goDir } from '../helpers/path.js';
import { SEQ_LIMIT } from '../helpers/math.js';
import { goCase } from '../../ops/go-case.js';
import { goReplace } from '../helpers/text.js';
import { base64Decode, unmarshal } from './encoding.js';
import { envOf } from './memkv.js';
import { lookupFuncs } from './lookup.js';
import { goSort } from './sort.js';
import { callFailed as fail } from './state.js';
import { atoi, parseBool } from './strconv.js';
import { timeNow } from './time.js';
import { GoMap, GoSlice, GoStruct, T, byteLength, goFunc as fn, stringSlice, type GoFunc, type Value } from './values.js';

/** strings.Replace (helpers/text.ts has the one implementation), with the count as Go passes it. */
function replace(s: string, old: string, replacement: string, n: bigint): string {
  return goReplace(s, old, replacement, n < 0n ? -1 : Number(n));
}

/** CreateMap: key/value pairs; keys must be strings. */
function createMap(values: Value[]): Value {
  if (values.length % 2 !== 0) fail('invalid map call');
  const entries = new Map<string, Value>();
  for (let i = 0; i < values.length; i += 2) {
    if (typeof values[i] !== 'string') fail('map keys must be strings');
    entries.set(values[i] as string, values[i + 1]);
  }
  return new GoMap(T.ifaceMap, entries);
}

/** util.IsFileExist: false only when os.Stat says the path does not exist. */
function fileExists(path: string, cwd: string): boolean {
  if (path === '') return false; // os.Stat("") fails with ENOENT
  try {
    statSync(resolve(cwd, path));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/** Reverse: []string and []memkv.KVPair in place; anything else (memkv.KVPairs from gets!) unchanged. */
function reverse(values: Value): Value {
  if (values instanceof GoSlice && (values.type === T.stringSlice || values.type === T.kvPairSlice)) values.items.reverse();
  return values;
}

const I64 = (v: bigint): bigint => BigInt.asIntN(64, v);

function arithmetic(name: string, op: (a: bigint, b: bigint) => bigint, divides = false): GoFunc {
  return fn(name, [T.int, T.int], T.int, false, ([a, b]) => {
    if (divides && b === 0n) fail('runtime error: integer divide by zero');
    return I64(op(a as bigint, b as bigint));
  });
}

/** Seq: first..last inclusive; nil when first > last (upstream confd). */
function seq(first: bigint, last: bigint): Value {
  if (first > last) return new GoSlice(T.intSlice, [], true);
  const count = last - first + 1n;
  if (count > BigInt(SEQ_LIMIT)) fail(`seq would build ${count} numbers; keyplate stops at ${SEQ_LIMIT}`);
  const items: Value[] = [];
  for (let i = first; i <= last; i++) items.push(i);
  return new GoSlice(T.intSlice, items);
}

const S = T.string;

/** confd's newFuncMap. */
export const confdFuncs: readonly GoFunc[] = [
  fn('base', [S], S, false, ([p]) => goBase(p as string)),
  fn('split', [S, S], T.stringSlice, false, ([s, sep]) => stringSlice(sep === '' ? Array.from(s as string) : (s as string).split(sep as string))),
  fn('json', [S], T.ifaceMap, true, ([s]) => unmarshal(s as string, 'object')),
  fn('jsonArray', [S], T.ifaceSlice, true, ([s]) => unmarshal(s as string, 'array')),
  fn('dir', [S], S, false, ([p]) => goDir(p as string)),
  fn('map', [], T.ifaceMap, true, createMap, T.iface),
  fn('getenv', [S], S, false, ([name, ...defaults], call) => envOf(call).scope.environment[name as string] || ((defaults[0] as string | undefined) ?? ''), S),
  fn('join', [T.stringSlice, S], S, false, ([items, sep]) => (items as GoSlice).items.join(sep as string)),
  fn('datetime', [], T.time, false, () => timeNow()),
  fn('toUpper', [S], S, false, ([s]) => goCase(s as string, true)),
  fn('toLower', [S], S, false, ([s]) => goCase(s as string, false)),
  fn('contains', [S, S], T.bool, false, ([s, sub]) => (s as string).includes(sub as string)),
  fn('replace', [S, S, S, T.int], S, false, ([s, old, rep, n]) => replace(s as string, old as string, rep as string, n as bigint)),
  fn('trimSuffix', [S, S], S, false, ([s, suffix]) => ((s as string).endsWith(suffix as string) ? (s as string).slice(0, (s as string).length - (suffix as string).length) : s)),
  ...lookupFuncs,
  fn('fileExists', [S], T.bool, false, ([p], call) => fileExists(p as string, envOf(call).cwd)),
  fn('base64Encode', [S], S, false, ([s]) => Buffer.from(s as string, 'utf8').toString('base64')),
  fn('base64Decode', [S], S, true, ([s]) => base64Decode(s as string)),
  fn('parseBool', [S], T.bool, true, ([s]) => {
    try {
      return parseBool(s as string);
    } catch (error) {
      return fail((error as Error).message);
    }
  }),
  fn('reverse', [T.iface], T.iface, false, ([v]) => reverse(v)),
  fn('sortByLength', [T.stringSlice], T.stringSlice, false, ([v]) => {
    goSort((v as GoSlice).items as string[], (a, b) => byteLength(a) < byteLength(b));
    return v;
  }),
  fn('sortKVByLength', [T.kvPairSlice], T.kvPairSlice, false, ([v]) => {
    const items = (v as GoSlice).items;
    goSort(items, (a, b) => byteLength((a as GoStruct).fields[0] as string) < byteLength((b as GoStruct).fields[0] as string));
    return new GoSlice(T.kvPairSlice, items, (v as GoSlice).nil);
  }),
  arithmetic('add', (a, b) => a + b),
  arithmetic('sub', (a, b) => a - b),
  arithmetic('div', (a, b) => a / b, true),
  arithmetic('mod', (a, b) => a % b, true),
  arithmetic('mul', (a, b) => a * b),
  fn('seq', [T.int, T.int], T.intSlice, false, ([a, b]) => seq(a as bigint, b as bigint)),
  fn('atoi', [S], T.int, true, ([s]) => {
    try {
      return atoi(s as string);
    } catch (error) {
      return fail((error as Error).message);
    }
  }),
];
