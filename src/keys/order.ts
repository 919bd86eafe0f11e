// The order etcd, Consul and Go use for keys and values: by UTF-8 bytes (equivalently, by code point).
//
// JavaScript's `<` and default sort compare UTF-16 code units, which agree with that order except where a
// character above U+FFFF (a surrogate pair, D800–DFFF) meets one in U+E000–U+FFFF: UTF-16 puts the surrogate
// first, UTF-8 puts it last (F0… > EE…/EF…). So `/list/😀` sorts after `/list/Ａ` in etcd and before it in JS.

/** -1, 0 or 1 as `a` sorts before, with or after `b` by UTF-8 bytes. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Both at or above D800: move surrogates (D800–DFFF) above E000–FFFF, as their code points are.
    if (x >= 0xd800 && y >= 0xd800) return (x >= 0xe000 ? x - 0x800 : x + 0x2000) < (y >= 0xe000 ? y - 0x800 : y + 0x2000) ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

const surrogate = /[\ud800-\udfff]/;

/**
 * Sorts `items` in place by UTF-8 bytes and tells whether code-unit comparison (`<`) agrees with that order for
 * them (true when no item has a character above U+FFFF). The native sort does the work; only lists that hold such
 * characters pay for the comparator.
 */
export function sortUtf8(items: string[]): boolean {
  items.sort();
  if (!surrogate.test(items.join(''))) return true;
  items.sort(compareUtf8);
  return false;
}
