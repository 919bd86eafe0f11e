// fmt.Sprintf (Go 1.19 fmt/print.go doPrintf): flags, width and precision (literal, * or [n]*), explicit argument
// indexes, and the error forms %!(NOVERB), %!v(MISSING), %!v(BADINDEX), %!(BADWIDTH), %!(BADPREC), %!(EXTRA …).
import { Printer } from './print.js';
import { GoInt, isUintKind, typeOf, type Value } from './values.js';

const MAX_WIDTH = 1e6;

/** parsenum: a decimal number at format[start:end], or none; overflow past 1e6 counts as none. */
function parsenum(s: string, start: number, end: number): { num: number; isnum: boolean; next: number } {
  if (start >= end) return { num: 0, isnum: false, next: end };
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s[i] >= '0' && s[i] <= '9'; i++) {
    if (num > MAX_WIDTH || num < -MAX_WIDTH) return { num: 0, isnum: false, next: end };
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return { num, isnum, next: i };
}

/** parseArgNumber: the bracketed 1-based index at format[0] as a 0-based one, and the bytes it spans. */
function parseArgNumber(format: string): { index: number; wid: number; ok: boolean } {
  if (format.length < 3) return { index: 0, wid: 1, ok: false };
  for (let i = 1; i < format.length; i++) {
    if (format[i] === ']') {
      const { num, isnum, next } = parsenum(format, 1, i);
      if (!isnum || next !== i) return { index: 0, wid: i + 1, ok: false };
      return { index: num - 1, wid: i + 1, ok: true };
    }
  }
  return { index: 0, wid: 1, ok: false };
}

/** intFromArg: an int-like argument usable as a width or precision. */
function intFromArg(a: readonly Value[], argNum: number): { num: number; isInt: boolean; next: number } {
  if (argNum >= a.length) return { num: 0, isInt: false, next: argNum };
  const v = a[argNum];
  let num = 0;
  let isInt = false;
  if (typeof v === 'bigint' || (v instanceof GoInt && !isUintKind(v.type))) {
    const n = typeof v === 'bigint' ? v : v.v;
    if (n >= -(1n << 63n) && n < 1n << 63n) [num, isInt] = [Number(n), true];
  } else if (v instanceof GoInt) {
    if (v.v < 1n << 63n) [num, isInt] = [Number(v.v), true];
  }
  if (num > MAX_WIDTH || num < -MAX_WIDTH) [num, isInt] = [0, false];
  return { num, isInt, next: argNum + 1 };
}

class FormatState {
  argNum = 0;
  i = 0;
  afterIndex = false;
  constructor(
    readonly p: Printer,
    readonly format: string,
    readonly args: readonly Value[],
  ) {}

  /** argNumber: an explicit [n] at the current position, if any. */
  argNumber(): void {
    const { format, p } = this;
    if (format.length <= this.i || format[this.i] !== '[') {
      this.afterIndex = false;
      return;
    }
    p.reordered = true;
    const { index, wid, ok } = parseArgNumber(format.slice(this.i));
    this.i += wid;
    if (ok && index >= 0 && index < this.args.length) {
      this.argNum = index;
      this.afterIndex = true;
      return;
    }
    p.goodArgNum = false;
    this.afterIndex = ok;
  }

  /** Flags right after '%'; returns true when the simple fast path printed the verb. */
  flags(): boolean {
    const { format, p } = this;
    const f = p.fmt;
    for (; this.i < format.length; this.i++) {
      const c = format[this.i];
      if (c === '#') f.sharp = true;
      else if (c === '0') f.zero = !f.minus; // only allow zero padding to the left
      else if (c === '+') f.plus = true;
      else if (c === '-') {
        f.minus = true;
        f.zero = false; // do not pad with zeros to the right
      } else if (c === ' ') f.space = true;
      else {
        // Fast path: an ASCII lower-case verb with no width, precision or index.
        if (c >= 'a' && c <= 'z' && this.argNum < this.args.length) {
          if (c === 'v') this.verbV();
          p.printArg(this.args[this.argNum], c);
          this.argNum++;
          this.i++;
          return true;
        }
        return false;
      }
    }
    return false;
  }

  verbV(): void {
    const f = this.p.fmt;
    f.sharpV = f.sharp; // Go syntax
    f.sharp = false;
    f.plusV = f.plus; // struct-field syntax
    f.plus = false;
  }

  width(): void {
    const { format, p } = this;
    const f = p.fmt;
    if (this.i < format.length && format[this.i] === '*') {
      this.i++;
      const { num, isInt, next } = intFromArg(this.args, this.argNum);
      [f.wid, f.widPresent, this.argNum] = [num, isInt, next];
      if (!f.widPresent) p.write('%!(BADWIDTH)');
      if (f.wid < 0) {
        f.wid = -f.wid;
        f.minus = true;
        f.zero = false;
      }
      this.afterIndex = false;
    } else {
      const { num, isnum, next } = parsenum(format, this.i, format.length);
      [f.wid, f.widPresent, this.i] = [num, isnum, next];
      if (this.afterIndex && f.widPresent) p.goodArgNum = false; // "%[3]2d"
    }
  }

  precision(): void {
    const { format, p } = this;
    const f = p.fmt;
    if (!(this.i + 1 < format.length && format[this.i] === '.')) return;
    this.i++;
    if (this.afterIndex) p.goodArgNum = false; // "%[3].2d"
    this.argNumber();
    if (this.i < format.length && format[this.i] === '*') {
      this.i++;
      const { num, isInt, next } = intFromArg(this.args, this.argNum);
      [f.prec, f.precPresent, this.argNum] = [num, isInt, next];
      if (f.prec < 0) [f.prec, f.precPresent] = [0, false]; // negative precision makes no sense
      if (!f.precPresent) p.write('%!(BADPREC)');
      this.afterIndex = false;
    } else {
      const { num, isnum, next } = parsenum(format, this.i, format.length);
      [f.prec, f.precPresent, this.i] = [num, isnum, next];
      if (!f.precPresent) [f.prec, f.precPresent] = [0, true];
    }
  }

  /** One %-directive; returns false when the format ended without a verb. */
  directive(): boolean {
    const { format, p } = this;
    p.fmt.clearflags();
    if (this.flags()) return true;
    this.argNumber();
    this.width();
    this.precision();
    if (!this.afterIndex) this.argNumber();
    if (this.i >= format.length) {
      p.write('%!(NOVERB)');
      return false;
    }
    const verb = String.fromCodePoint(format.codePointAt(this.i)!);
    this.i += verb.length;
    if (verb === '%') p.write('%'); // percent takes no operand and ignores width and precision
    else if (!p.goodArgNum) p.write(`%!${verb}(BADINDEX)`);
    else if (this.argNum >= this.args.length) p.write(`%!${verb}(MISSING)`);
    else {
      if (verb === 'v') this.verbV();
      p.printArg(this.args[this.argNum], verb);
      this.argNum++;
    }
    return true;
  }

  run(): void {
    const { format, p } = this;
    while (this.i < format.length) {
      p.goodArgNum = true;
      const start = this.i;
      while (this.i < format.length && format[this.i] !== '%') this.i++;
      if (this.i > start) p.write(format.slice(start, this.i));
      if (this.i >= format.length) break;
      this.i++;
      if (!this.directive()) break;
    }
    // Extra arguments are reported unless the format reordered them.
    if (!p.reordered && this.argNum < this.args.length) {
      p.fmt.clearflags();
      p.write('%!(EXTRA ');
      this.args.slice(this.argNum).forEach((arg, i) => {
        if (i > 0) p.write(', ');
        if (arg === undefined || arg === null) p.write('<nil>');
        else {
          p.write(`${typeOf(arg).name}=`);
          p.printArg(arg, 'v');
        }
      });
      p.write(')');
    }
  }
}

/** fmt.Sprintf. A nil operand is `undefined` or `null`. */
export function sprintf(format: string, args: readonly Value[]): string {
  const p = new Printer();
  new FormatState(p, format, args).run();
  return p.buf;
}
