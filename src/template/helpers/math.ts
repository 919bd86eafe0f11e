// Integer and list helpers: atoi, add/sub/mul/div/mod (Go int semantics), seq, reverse and the length sorts.
import type { KVPair } from '../scope.js';
import { int, list, str, type HelperCall, type HelperTable } from './common.js';

/** Longest list `seq` builds: a typo such as `seq 1 10000000000` should fail, not exhaust memory. */
/** The most numbers `seq` builds: a bound on what a template can make keyplate allocate (shared by both engines). */
export const SEQ_LIMIT = 1_000_000;

/** Go strconv.Atoi: optional sign, decimal digits, nothing else. */
function atoi(call: HelperCall, args: readonly unknown[]): number {
  const text = str(call, args[0], 'argument');
  if (!/^[+-]?\d+$/.test(text)) return call.fail('not a decimal integer (value not shown: it may be secret)');
  const n = Number(text);
  if (!Number.isSafeInteger(n)) return call.fail(`integer out of range (beyond ±${Number.MAX_SAFE_INTEGER})`);
  return n === 0 ? 0 : n;
}

/** Exact integer arithmetic (BigInt truncates like Go's `/` and `%`), then back to a safe number. */
function arithmetic(op: (a: bigint, b: bigint) => bigint, divides = false) {
  return (call: HelperCall, args: readonly unknown[]): number => {
    const a = BigInt(int(call, args[0], 'first argument'));
    const b = BigInt(int(call, args[1], 'second argument'));
    if (divides && b === 0n) return call.fail(call.name === 'mod' ? 'modulo by zero' : 'division by zero');
    const result = op(a, b);
    const limit = BigInt(Number.MAX_SAFE_INTEGER);
    if (result > limit || result < -limit) return call.fail(`result out of range (beyond ±${Number.MAX_SAFE_INTEGER})`);
    return Number(result);
  };
}

/** Inclusive; counts down when first > last, as the maintained confd fork does (upstream gives []). */
function seq(call: HelperCall, args: readonly unknown[]): number[] {
  const first = int(call, args[0], 'first');
  const last = int(call, args[1], 'last');
  const step = first <= last ? 1 : -1;
  const count = Math.abs(last - first) + 1;
  if (count > SEQ_LIMIT) return call.fail(`would build ${count} numbers; the limit is ${SEQ_LIMIT}`);
  return Array.from({ length: count }, (_, i) => first + i * step);
}

/** Go's len(string) counts bytes, so sorting by length agrees with confd on non-ASCII text too. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function isPair(value: unknown): value is KVPair {
  return typeof value === 'object' && value !== null && typeof (value as KVPair).key === 'string';
}

export const mathHelpers: HelperTable = {
  atoi: { arity: [1, 1], fn: atoi },
  add: { arity: [2, 2], fn: arithmetic((a, b) => a + b) },
  sub: { arity: [2, 2], fn: arithmetic((a, b) => a - b) },
  mul: { arity: [2, 2], fn: arithmetic((a, b) => a * b) },
  div: { arity: [2, 2], fn: arithmetic((a, b) => a / b, true) },
  mod: { arity: [2, 2], fn: arithmetic((a, b) => a % b, true) },
  seq: { arity: [2, 2], fn: seq },
  // A reversed copy: confd's reverse silently returns `gets` output unchanged (its type switch misses KVPairs).
  reverse: { arity: [1, 1], fn: (call, [items]) => [...list(call, items)].reverse() },
  // Stable, and a copy: the template's list is never sorted in place.
  sortByLength: {
    arity: [1, 1],
    fn: (call, [items]) =>
      list(call, items)
        .map((item, i) => str(call, item, `item ${i + 1}`))
        .sort((a, b) => byteLength(a) - byteLength(b)),
  },
  sortKVByLength: {
    arity: [1, 1],
    fn: (call, [items]) => {
      const pairs = list(call, items).map((item, i) =>
        isPair(item) ? item : call.fail(`item ${i + 1} is not a key/value pair (use sortByLength for strings)`),
      );
      return pairs.sort((a, b) => byteLength(a.key) - byteLength(b.key));
    },
  },
};
