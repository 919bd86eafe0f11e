// encoding/json and encoding/base64 as confd's json, jsonArray and base64Decode use them: Go's syntax checker
// (Go 1.19 encoding/json/scanner.go) for its exact error texts, numbers decoded to float64, objects to
// map[string]interface{}, arrays to []interface{}; and base64.StdEncoding's decoder with Go's error offsets.
import { GoCallError } from './state.js';
import { quote } from './strconv.js';
import { GoMap, GoSlice, T, type Value } from './values.js';

type Step = (c: number) => void;

/** The JSON scanner: feed bytes; `err` is set at the first invalid one. */
class Scanner {
  err: string | undefined;
  endTop = false;
  private readonly parseState: Array<'key' | 'value' | 'array'> = [];
  step: Step = (c) => this.beginValue(c);

  private error(c: number, context: string): void {
    // quoteChar: a byte as a one-character Go string, quoted with single quotes.
    const q = c === 39 ? "'\\''" : c === 34 ? `'"'` : `'${quote(String.fromCharCode(c)).slice(1, -1)}'`;
    this.err ??= `invalid character ${q} ${context}`;
    this.step = () => undefined;
  }
  private isSpace(c: number): boolean {
    return c === 32 || c === 9 || c === 13 || c === 10;
  }
  private literal(rest: string, word: string): Step {
    return (c) => {
      if (c === rest.charCodeAt(0)) this.step = rest.length > 1 ? this.literal(rest.slice(1), word) : (d) => this.endValue(d);
      else this.error(c, `in literal ${word} (expecting '${rest[0]}')`);
    };
  }
  private beginValue(c: number): void {
    if (this.isSpace(c)) return;
    const ch = String.fromCharCode(c);
    if (ch === '{') {
      this.parseState.push('key');
      this.step = (d) => {
        if (this.isSpace(d)) return;
        if (d === 125) {
          this.parseState[this.parseState.length - 1] = 'value';
          return this.endValue(d);
        }
        this.beginString(d);
      };
    } else if (ch === '[') {
      this.parseState.push('array');
      this.step = (d) => (this.isSpace(d) ? undefined : d === 93 ? this.endValue(d) : this.beginValue(d));
    } else if (ch === '"') this.step = (d) => this.inString(d);
    else if (ch === '-') this.step = (d) => (d === 48 ? (this.step = (e) => this.zero(e)) : d >= 49 && d <= 57 ? (this.step = (e) => this.digits(e)) : this.error(d, 'in numeric literal'));
    else if (ch === '0') this.step = (d) => this.zero(d);
    else if (ch >= '1' && ch <= '9') this.step = (d) => this.digits(d);
    else if (ch === 't') this.step = this.literal('rue', 'true');
    else if (ch === 'f') this.step = this.literal('alse', 'false');
    else if (ch === 'n') this.step = this.literal('ull', 'null');
    else this.error(c, 'looking for beginning of value');
  }
  private beginString(c: number): void {
    if (this.isSpace(c)) return;
    if (c === 34) this.step = (d) => this.inString(d);
    else this.error(c, 'looking for beginning of object key string');
  }
  private inString(c: number): void {
    if (c === 34) this.step = (d) => this.endValue(d);
    else if (c === 92) this.step = (d) => this.escape(d);
    else if (c < 0x20) this.error(c, 'in string literal');
  }
  private escape(c: number): void {
    if ('bfnrt\\/"'.includes(String.fromCharCode(c))) this.step = (d) => this.inString(d);
    else if (c === 117) this.step = this.hex(4);
    else this.error(c, 'in string escape code');
  }
  private hex(left: number): Step {
    return (c) => {
      if (!/[0-9a-fA-F]/.test(String.fromCharCode(c))) return this.error(c, 'in \\u hexadecimal character escape');
      this.step = left > 1 ? this.hex(left - 1) : (d) => this.inString(d);
    };
  }
  private digits(c: number): void {
    if (c >= 48 && c <= 57) return;
    this.zero(c);
  }
  private zero(c: number): void {
    if (c === 46) this.step = (d) => (d >= 48 && d <= 57 ? (this.step = (e) => this.fraction(e)) : this.error(d, 'after decimal point in numeric literal'));
    else if (c === 101 || c === 69) this.step = (d) => this.exponent(d);
    else this.endValue(c);
  }
  private fraction(c: number): void {
    if (c >= 48 && c <= 57) return;
    if (c === 101 || c === 69) this.step = (d) => this.exponent(d);
    else this.endValue(c);
  }
  private exponent(c: number): void {
    if (c === 43 || c === 45) this.step = (d) => this.exponentSign(d);
    else this.exponentSign(c);
  }
  private exponentSign(c: number): void {
    if (c >= 48 && c <= 57) this.step = (d) => (d >= 48 && d <= 57 ? undefined : this.endValue(d));
    else this.error(c, 'in exponent of numeric literal');
  }
  private endValue(c: number): void {
    const n = this.parseState.length;
    if (n === 0) {
      this.endTop = true;
      this.step = (d) => this.endTopStep(d);
      return this.endTopStep(c);
    }
    this.step = (d) => this.endValue(d);
    if (this.isSpace(c)) return;
    const ps = this.parseState[n - 1];
    if (ps === 'key') {
      if (c === 58) {
        this.parseState[n - 1] = 'value';
        this.step = (d) => this.beginValue(d);
      } else this.error(c, 'after object key');
    } else if (ps === 'value') {
      if (c === 44) {
        this.parseState[n - 1] = 'key';
        this.step = (d) => this.beginString(d);
      } else if (c === 125) this.parseState.pop();
      else this.error(c, 'after object key:value pair');
    } else if (c === 44) this.step = (d) => this.beginValue(d);
    else if (c === 93) this.parseState.pop();
    else this.error(c, 'after array element');
  }
  private endTopStep(c: number): void {
    if (!this.isSpace(c)) this.error(c, 'after top-level value');
  }
  /** scanner.eof: a value may end at the end of input; anything else is "unexpected end of JSON input". */
  eof(): void {
    if (this.err !== undefined || this.endTop) return;
    this.step(32);
    if (!this.endTop) this.err ??= 'unexpected end of JSON input';
  }
}

/** json.checkValid: Go's message for the first syntax error, or undefined. */
export function jsonSyntaxError(text: string): string | undefined {
  const scan = new Scanner();
  for (const c of Buffer.from(text, 'utf8')) {
    scan.step(c);
    if (scan.err !== undefined) return scan.err;
  }
  scan.eof();
  return scan.err;
}

/** A parsed JSON value as Go's interface{} holds it. */
function toGo(v: unknown): Value {
  if (v === null || typeof v !== 'object') return v as Value;
  if (Array.isArray(v)) return new GoSlice(T.ifaceSlice, v.map(toGo));
  const entries = new Map<string, Value>();
  for (const key of Object.keys(v)) entries.set(key, toGo((v as Record<string, unknown>)[key]));
  return new GoMap(T.ifaceMap, entries);
}

function kindName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** json.Unmarshal into map[string]interface{} (`object`) or []interface{} (`array`); null gives a nil one. */
export function unmarshal(text: string, into: 'object' | 'array'): GoMap | GoSlice {
  const syntax = jsonSyntaxError(text);
  if (syntax !== undefined) throw new GoCallError(syntax);
  // A number beyond float64 (1e400) is Go's UnmarshalTypeError; JSON.parse would give Infinity.
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g)) {
    if (m[1] !== undefined && !Number.isFinite(Number(m[1]))) throw new GoCallError(`json: cannot unmarshal number ${m[1]} into Go value of type float64`);
  }
  const parsed: unknown = JSON.parse(text);
  const type = into === 'object' ? T.ifaceMap : T.ifaceSlice;
  if (parsed === null) return into === 'object' ? new GoMap(type, new Map(), true) : new GoSlice(type, [], true);
  if (kindName(parsed) !== into) throw new GoCallError(`json: cannot unmarshal ${kindName(parsed)} into Go value of type ${type.name}`);
  return toGo(parsed) as GoMap | GoSlice;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** base64.StdEncoding.DecodeString, quantum by quantum (decodeQuantum), with Go's CorruptInputError offsets. */
export function base64Decode(text: string): string {
  const src = Buffer.from(text, 'utf8');
  const out: number[] = [];
  const corrupt = (offset: number): never => {
    throw new GoCallError(`illegal base64 data at input byte ${offset}`);
  };
  let si = 0;
  while (si < src.length) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Buffer.from(out).toString('utf8');
        corrupt(si - j); // padding is required
      }
      const ch = src[si++];
      const v = B64.indexOf(String.fromCharCode(ch));
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (ch === 10 || ch === 13) {
        j--;
        continue;
      }
      if (ch !== 61 || j < 2) corrupt(si - 1); // not '=', or '=' too early
      if (j === 2) {
        // "==" is expected: the first "=" is consumed; skip newlines to the second.
        while (si < src.length && (src[si] === 10 || src[si] === 13)) si++;
        if (si === src.length) corrupt(src.length);
        if (src[si] !== 61) corrupt(si - 1);
        si++;
      }
      while (si < src.length && (src[si] === 10 || src[si] === 13)) si++;
      if (si < src.length) corrupt(si); // trailing garbage
      dlen = j;
      break;
    }
    const val = (dbuf[0] << 18) | (dbuf[1] << 12) | (dbuf[2] << 6) | dbuf[3];
    const bytes = [(val >> 16) & 0xff, (val >> 8) & 0xff, val & 0xff];
    out.push(...bytes.slice(0, dlen - 1));
  }
  return Buffer.from(out).toString('utf8');
}
