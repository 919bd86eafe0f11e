// Number literals of Go templates (Go 1.19 text/template/parse/node.go newNumber): one literal is parsed under
// every type that can hold it — int64, uint64, float64, complex128 — the way Go simulates ideal constants.
import { ItemType } from './lex.js';
import type { NumberNode } from './nodes.js';
import { parseFloat64, parseInt64, parseUint, unquoteChar } from './strconv.js';

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

/** Character constants ('a', '\n', '\x41'): int, uint and float all hold the rune. */
function charConstant(node: NumberNode, text: string): NumberNode {
  const cps = Array.from(text.slice(1), (c) => c.codePointAt(0)!);
  let r: ReturnType<typeof unquoteChar>;
  try {
    r = unquoteChar(cps, 0, 39);
  } catch (error) {
    throw new Error((error as Error).message);
  }
  if (cps.length - r.next !== 1 || cps[r.next] !== 39) throw new Error(`malformed character constant: ${text}`);
  Object.assign(node, { isInt: true, isUint: true, isFloat: true, int: BigInt(r.value), uint: BigInt(r.value), float: r.value });
  return node;
}

/** simplifyComplex: a complex with no imaginary part is also a float, and an int when integral. */
function simplifyComplex(n: NumberNode): void {
  const [re, im] = n.complex!;
  n.isFloat = im === 0;
  if (!n.isFloat) return;
  n.float = re;
  n.isInt = Number.isInteger(re) && re >= -(2 ** 63) && re < 2 ** 63;
  if (n.isInt) n.int = BigInt(re);
  n.isUint = Number.isInteger(re) && re >= 0 && re < 2 ** 64;
  if (n.isUint) n.uint = BigInt(re);
}

/** fmt.Sscan of a complex literal such as 1+2i or -1.5e3-2i. */
function parseComplex(text: string): [number, number] {
  const m = /^([+-]?[^+-]+(?:[eEpP][+-][^+-]+)?)([+-][^+-]+(?:[eEpP][+-][^+-]+)?)i$/.exec(text);
  if (!m) throw new Error(`illegal number syntax: "${text}"`);
  return [parseFloat64(m[1]), parseFloat64(m[2])];
}

/** newNumber: throws Error with Go's message ("integer overflow: …", "illegal number syntax: …" …). */
export function newNumber(pos: number, text: string, typ: ItemType): NumberNode {
  const n: NumberNode = { type: 'number', pos, text, isInt: false, isUint: false, isFloat: false, isComplex: false };
  if (typ === ItemType.charConstant) return charConstant(n, text);
  if (typ === ItemType.complex) {
    n.complex = parseComplex(text);
    n.isComplex = true;
    simplifyComplex(n);
    return n;
  }
  // Imaginary constants can only be complex unless they are zero.
  if (text.endsWith('i')) {
    const f = tryParse(() => parseFloat64(text.slice(0, -1)));
    if (f !== undefined) {
      n.complex = [0, f];
      n.isComplex = true;
      simplifyComplex(n);
      return n;
    }
  }
  // Integers first, so that 0x123 and friends are integers.
  const u = tryParse(() => parseUint(text));
  if (u !== undefined) [n.isUint, n.uint] = [true, u];
  const i = tryParse(() => parseInt64(text));
  if (i !== undefined) {
    [n.isInt, n.int] = [true, i];
    if (i === 0n) [n.isUint, n.uint] = [true, u ?? 0n]; // in case of -0
  }
  if (n.isInt) [n.isFloat, n.float] = [true, Number(n.int)];
  else if (n.isUint) [n.isFloat, n.float] = [true, Number(n.uint)];
  else {
    const f = tryParse(() => parseFloat64(text));
    if (f !== undefined) {
      // Parsed as a float but looks like an integer: an integer too large for int64 and uint64.
      if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: "${text}"`);
      [n.isFloat, n.float] = [true, f];
      if (Number.isInteger(f) && f >= -(2 ** 63) && f < 2 ** 63) [n.isInt, n.int] = [true, BigInt(f)];
      if (Number.isInteger(f) && f >= 0 && f < 2 ** 64) [n.isUint, n.uint] = [true, BigInt(f)];
    }
  }
  if (!n.isInt && !n.isUint && !n.isFloat) throw new Error(`illegal number syntax: "${text}"`);
  return n;
}
