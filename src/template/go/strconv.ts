// Go's strconv for templates: number literals (ParseInt/ParseUint/ParseFloat with base prefixes and underscores),
// Unquote/UnquoteChar, Quote/QuoteRune/CanBackquote/IsPrint, Atoi and ParseBool — ported from Go 1.19 strconv
// (atoi.go, atof.go, quote.go), so literals and error texts match what confd's Go binary reports.

/** A strconv failure: `syntax` is ErrSyntax ("invalid syntax"), `range` is ErrRange ("value out of range"). */
export class NumError extends Error {
  constructor(
    readonly fn: string,
    readonly num: string,
    readonly kind: 'syntax' | 'range',
  ) {
    // strconv.NumError.Error: "strconv." + Func + ": parsing " + Quote(Num) + ": " + Err.
    super(`strconv.${fn}: parsing ${quote(num)}: ${kind === 'syntax' ? 'invalid syntax' : 'value out of range'}`);
  }
}

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

function lower(c: string): string {
  return c.length === 1 && c >= 'A' && c <= 'Z' ? String.fromCharCode(c.charCodeAt(0) + 32) : c;
}

/** strconv.underscoreOK: underscores only between digits (a base prefix counts as a digit). */
export function underscoreOK(text: string): boolean {
  let saw = '^';
  let s = text;
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && 'box'.includes(lower(s[1]))) {
    i = 2;
    saw = '0';
    hex = lower(s[1]) === 'x';
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** strconv.ParseUint(s, 0, 64): base from the prefix (0b, 0o, 0x, 0 = octal), underscores allowed. */
export function parseUint(text: string, fn = 'ParseUint'): bigint {
  if (text === '') throw new NumError(fn, text, 'syntax');
  let s = text;
  let base = 10n;
  if (s[0] === '0') {
    const p = s.length >= 3 ? lower(s[1]) : '';
    if (p === 'b') [base, s] = [2n, s.slice(2)];
    else if (p === 'o') [base, s] = [8n, s.slice(2)];
    else if (p === 'x') [base, s] = [16n, s.slice(2)];
    else [base, s] = [8n, s.slice(1)];
  }
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    let d: number;
    const l = lower(c);
    if (c === '_') {
      underscores = true;
      continue;
    } else if (c >= '0' && c <= '9') d = c.charCodeAt(0) - 48;
    else if (l >= 'a' && l <= 'z') d = l.charCodeAt(0) - 87;
    else throw new NumError(fn, text, 'syntax');
    if (BigInt(d) >= base) throw new NumError(fn, text, 'syntax');
    n = n * base + BigInt(d);
    // As in Go, overflow is reported where it happens, before any later syntax problem.
    if (n > UINT64_MAX) throw new NumError(fn, text, 'range');
  }
  if (underscores && !underscoreOK(text)) throw new NumError(fn, text, 'syntax');
  return n;
}

/** strconv.ParseInt(s, 0, 64). */
export function parseInt64(text: string, fn = 'ParseInt'): bigint {
  if (text === '') throw new NumError(fn, text, 'syntax');
  const neg = text[0] === '-';
  const s = text[0] === '+' || text[0] === '-' ? text.slice(1) : text;
  let u: bigint;
  try {
    u = parseUint(s, fn);
  } catch (error) {
    throw new NumError(fn, text, (error as NumError).kind);
  }
  if (!neg && u > INT64_MAX) throw new NumError(fn, text, 'range');
  if (neg && u > INT64_MAX + 1n) throw new NumError(fn, text, 'range');
  return neg ? -u : u;
}

const DECIMAL_FLOAT = /^[+-]?(?:\d[\d_]*\.?[\d_]*|\.[\d_]+)(?:[eE][+-]?[\d_]+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]([\da-fA-F_]*)\.?([\da-fA-F_]*)[pP]([+-]?[\d_]+)$/;

/** strconv.ParseFloat(s, 64) for the literals the template lexer produces (decimal and hexadecimal). */
export function parseFloat64(text: string): number {
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (special) return special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity;
  if (text.includes('_') && !underscoreOK(text)) throw new NumError('ParseFloat', text, 'syntax');
  const hex = HEX_FLOAT.exec(text);
  let value: number;
  if (hex) {
    const [, sign, whole, frac, exp] = hex;
    const digits = (whole + frac).replace(/_/g, '');
    if (digits === '') throw new NumError('ParseFloat', text, 'syntax');
    // mantissa × 2^(exp − 4·fraction digits); Number(bigint) rounds to nearest even, as Go does.
    const e = Number(exp.replace(/_/g, '')) - 4 * frac.replace(/_/g, '').length;
    value = Number(BigInt(`0x${digits}`)) * 2 ** e;
    if (sign === '-') value = -value;
  } else {
    if (!DECIMAL_FLOAT.test(text)) throw new NumError('ParseFloat', text, 'syntax');
    value = Number(text.replace(/_/g, ''));
  }
  if (!Number.isFinite(value)) throw new NumError('ParseFloat', text, 'range');
  return value;
}

/** strconv.Atoi: optional sign and decimal digits only. */
export function atoi(s: string): bigint {
  if (!/^[+-]?\d+$/.test(s)) throw new NumError('Atoi', s, 'syntax');
  const n = BigInt(s);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) throw new NumError('Atoi', s, 'range');
  return n;
}

/** strconv.ParseBool. */
export function parseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new NumError('ParseBool', s, 'syntax');
}

/** strconv.ErrSyntax, as t.error(err) prints it. */
export class QuoteSyntaxError extends Error {
  constructor() {
    super('invalid syntax');
  }
}

const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };

/**
 * strconv.UnquoteChar on code points: the decoded rune (or byte, for \x and octal escapes), and where the rest
 * starts. Throws QuoteSyntaxError.
 */
export function unquoteChar(cps: readonly number[], at: number, quote: number): { value: number; byte: boolean; next: number } {
  const c = cps[at];
  if (c === quote && (quote === 39 || quote === 34)) throw new QuoteSyntaxError();
  if (c !== 92) return { value: c, byte: false, next: at + 1 };
  if (at + 1 >= cps.length) throw new QuoteSyntaxError();
  const e = String.fromCodePoint(cps[at + 1]);
  let i = at + 2;
  if (e in SIMPLE_ESCAPES) return { value: SIMPLE_ESCAPES[e], byte: false, next: i };
  if (e === 'x' || e === 'u' || e === 'U') {
    const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
    if (cps.length - i < n) throw new QuoteSyntaxError();
    let v = 0;
    for (let j = 0; j < n; j++, i++) {
      const d = parseInt(String.fromCodePoint(cps[i]), 16);
      if (Number.isNaN(d)) throw new QuoteSyntaxError();
      v = v * 16 + d;
    }
    if (e === 'x') return { value: v, byte: true, next: i };
    if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) throw new QuoteSyntaxError();
    return { value: v, byte: false, next: i };
  }
  if (e >= '0' && e <= '7') {
    let v = cps[at + 1] - 48;
    if (cps.length - i < 2) throw new QuoteSyntaxError();
    for (let j = 0; j < 2; j++, i++) {
      const x = cps[i] - 48;
      if (x < 0 || x > 7) throw new QuoteSyntaxError();
      v = (v << 3) | x;
    }
    if (v > 255) throw new QuoteSyntaxError();
    return { value: v, byte: true, next: i };
  }
  if ((e === "'" || e === '"') && e.codePointAt(0) === quote) return { value: quote, byte: false, next: i };
  throw new QuoteSyntaxError();
}

/**
 * strconv.Unquote for "…" and `…` literals. Raw strings drop carriage returns; \x escapes are bytes, so the
 * result is assembled as UTF-8 and decoded (an invalid sequence becomes U+FFFD: a JavaScript string holds no raw bytes).
 */
export function unquote(s: string): string {
  if (s.length < 2 || s[0] !== s[s.length - 1]) throw new QuoteSyntaxError();
  const body = s.slice(1, -1);
  if (s[0] === '`') {
    if (body.includes('`')) throw new QuoteSyntaxError();
    return body.replace(/\r/g, '');
  }
  if (s[0] !== '"') throw new QuoteSyntaxError();
  if (!body.includes('\\') && !body.includes('"') && !body.includes('\n')) return body;
  const cps = Array.from(body, (ch) => ch.codePointAt(0)!);
  const bytes: number[] = [];
  for (let i = 0; i < cps.length; ) {
    if (cps[i] === 10) throw new QuoteSyntaxError();
    const { value, byte, next } = unquoteChar(cps, i, 34);
    if (byte) bytes.push(value);
    else bytes.push(...Buffer.from(String.fromCodePoint(value), 'utf8'));
    i = next;
  }
  return Buffer.from(bytes).toString('utf8');
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isPrint(r: number): boolean {
  if (r < 0x80) return r >= 0x20 && r < 0x7f;
  if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000)) return false;
  return PRINTABLE.test(String.fromCodePoint(r));
}

const HEX = '0123456789abcdef';

/** strconv.appendEscapedRune. */
function escapeRune(r: number, quoteCp: number, asciiOnly: boolean): string {
  if (r === quoteCp || r === 92) return `\\${String.fromCodePoint(r)}`;
  if (asciiOnly ? r < 0x80 && isPrint(r) : isPrint(r)) return String.fromCodePoint(r);
  switch (r) {
    case 7:
      return '\\a';
    case 8:
      return '\\b';
    case 12:
      return '\\f';
    case 10:
      return '\\n';
    case 13:
      return '\\r';
    case 9:
      return '\\t';
    case 11:
      return '\\v';
  }
  if (r < 0x20 || r === 0x7f) return `\\x${HEX[r >> 4]}${HEX[r & 15]}`;
  if (r > 0x10ffff || (r >= 0xd800 && r < 0xe000)) r = 0xfffd;
  if (r < 0x10000) return `\\u${r.toString(16).padStart(4, '0')}`;
  return `\\U${r.toString(16).padStart(8, '0')}`;
}

/** strconv.Quote (and QuoteToASCII with `asciiOnly`). */
export function quote(s: string, asciiOnly = false): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, 34, asciiOnly);
  return `${out}"`;
}

/** strconv.QuoteRune (and QuoteRuneToASCII); an invalid rune is quoted as U+FFFD. */
export function quoteRune(r: number, asciiOnly = false): string {
  if (r > 0x10ffff || r < 0 || (r >= 0xd800 && r < 0xe000)) r = 0xfffd;
  return `'${escapeRune(r, 39, asciiOnly)}'`;
}

/** strconv.CanBackquote: no backquote, no control character but tab, no BOM. */
export function canBackquote(s: string): boolean {
  for (const ch of s) {
    const r = ch.codePointAt(0)!;
    if (r === 0xfeff || (r >= 0xd800 && r < 0xe000)) return false;
    if ((r < 0x20 && r !== 9) || r === 0x60 || r === 0x7f) return false;
  }
  return true;
}
