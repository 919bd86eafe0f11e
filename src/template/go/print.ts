// fmt's printer (Go 1.19 fmt/print.go): Sprint, Sprintln and Sprintf over template values — verbs, flags, width
// and precision (with * and [n] argument indexes), %v of slices, maps (sorted keys) and structs, and fmt's
// error forms (%!d(string=x), %!s(MISSING), %!(EXTRA …), %!(BADWIDTH) …).
import { Fmt, LDIGITS, UDIGITS } from './format.js';
import { compareGoStrings } from './sort.js';
import { GoComplex, GoInt, GoMap, GoPtr, GoSlice, GoStruct, GoTime, isUintKind, typeOf, type GoType, type Value } from './values.js';

/** Fake but stable addresses for %p and pointers inside containers (Go prints real, run-dependent ones). */
const addresses = new WeakMap<object, bigint>();
let nextAddress = 0xc000010000n;
function addressOf(o: object): bigint {
  let a = addresses.get(o);
  if (a === undefined) {
    a = nextAddress;
    nextAddress += 0x20n;
    addresses.set(o, a);
  }
  return a;
}

class Printer {
  readonly fmt = new Fmt();
  /** The operand being printed (for badVerb's "type=value"); `hasArg` false means a nil operand. */
  arg: Value = undefined;
  erroring = false;
  reordered = false;
  goodArgNum = true;

  get buf(): string {
    return this.fmt.buf;
  }
  write(s: string): void {
    this.fmt.buf += s;
  }

  badVerb(verb: string, value: Value): void {
    this.erroring = true;
    this.write(`%!${verb}(`);
    if (value === undefined || value === null) this.write('<nil>');
    else {
      this.write(`${typeOf(value).name}=`);
      this.printArg(value, 'v');
    }
    this.write(')');
    this.erroring = false;
  }

  fmtBool(v: boolean, verb: string): void {
    if (verb === 't' || verb === 'v') this.fmt.fmtBoolean(v);
    else this.badVerb(verb, v);
  }

  fmtInteger(v: bigint, isSigned: boolean, verb: string, original: Value): void {
    const f = this.fmt;
    switch (verb) {
      case 'v':
        if (f.sharpV && !isSigned) this.fmt0x64(v, true);
        else f.fmtInteger(v, 10, isSigned, verb, LDIGITS);
        return;
      case 'd':
        return f.fmtInteger(v, 10, isSigned, verb, LDIGITS);
      case 'b':
        return f.fmtInteger(v, 2, isSigned, verb, LDIGITS);
      case 'o':
      case 'O':
        return f.fmtInteger(v, 8, isSigned, verb, LDIGITS);
      case 'x':
        return f.fmtInteger(v, 16, isSigned, verb, LDIGITS);
      case 'X':
        return f.fmtInteger(v, 16, isSigned, verb, UDIGITS);
      case 'c':
        return f.fmtC(v < 0n ? v + (1n << 64n) : v);
      case 'q':
        return f.fmtQc(v < 0n ? v + (1n << 64n) : v);
      case 'U':
        return f.fmtUnicode(v);
      default:
        this.badVerb(verb, original);
    }
  }

  fmt0x64(v: bigint, leading0x: boolean): void {
    const sharp = this.fmt.sharp;
    this.fmt.sharp = leading0x;
    this.fmt.fmtInteger(v, 16, false, 'v', LDIGITS);
    this.fmt.sharp = sharp;
  }

  fmtFloat(v: number, verb: string): void {
    switch (verb) {
      case 'v':
        return this.fmt.fmtFloat(v, 'g', -1);
      case 'b':
      case 'g':
      case 'G':
      case 'x':
      case 'X':
        return this.fmt.fmtFloat(v, verb, -1);
      case 'f':
      case 'F':
      case 'e':
      case 'E':
        return this.fmt.fmtFloat(v, verb === 'F' ? 'f' : verb, 6);
      default:
        this.badVerb(verb, v);
    }
  }

  fmtComplex(v: GoComplex, verb: string): void {
    if (!'vbgGxXfFeE'.includes(verb)) return this.badVerb(verb, v);
    const oldPlus = this.fmt.plus;
    this.write('(');
    this.fmtFloat(v.re, verb);
    this.fmt.plus = true; // the imaginary part always has a sign
    this.fmtFloat(v.im, verb);
    this.write('i)');
    this.fmt.plus = oldPlus;
  }

  fmtString(v: string, verb: string, original: Value = v): void {
    switch (verb) {
      case 'v':
        return this.fmt.sharpV ? this.fmt.fmtQ(v) : this.fmt.fmtS(v);
      case 's':
        return this.fmt.fmtS(v);
      case 'x':
        return this.fmt.fmtSx(v, false);
      case 'X':
        return this.fmt.fmtSx(v, true);
      case 'q':
        return this.fmt.fmtQ(v);
      default:
        this.badVerb(verb, original);
    }
  }

  fmtPointer(value: GoSlice | GoMap | GoPtr, verb: string): void {
    const u = value instanceof GoPtr ? (value.elem ? addressOf(value.elem) : 0n) : value.nil ? 0n : addressOf(value);
    switch (verb) {
      case 'v':
        if (this.fmt.sharpV) {
          this.write(`(${value.type.name})(`);
          if (u === 0n) this.write('nil');
          else this.fmt0x64(u, true);
          this.write(')');
        } else if (u === 0n) this.fmt.pad('<nil>');
        else this.fmt0x64(u, !this.fmt.sharp);
        return;
      case 'p':
        return this.fmt0x64(u, !this.fmt.sharp);
      case 'b':
      case 'o':
      case 'd':
      case 'x':
      case 'X':
        return this.fmtInteger(u, false, verb, value);
      default:
        this.badVerb(verb, value);
    }
  }

  /** handleMethods: a Stringer (time.Time, time.Month …) prints its String() for the string-like verbs. */
  handleMethods(v: Value, verb: string): boolean {
    if (this.erroring || this.fmt.sharpV || v === null || v === undefined) return false;
    const stringer = typeof v === 'object' && 'type' in v ? v.type.stringer : undefined;
    if (!stringer || !'vsxXq'.includes(verb)) return false;
    this.fmtString(stringer(v), verb, v);
    return true;
  }

  printArg(arg: Value, verb: string): void {
    this.arg = arg;
    if (arg === undefined || arg === null) {
      if (verb === 'T' || verb === 'v') this.fmt.pad('<nil>');
      else this.badVerb(verb, arg);
      return;
    }
    if (verb === 'T') return this.fmt.fmtS(typeOf(arg).name);
    if (verb === 'p') {
      if (arg instanceof GoSlice || arg instanceof GoMap || arg instanceof GoPtr) this.fmtPointer(arg, 'p');
      else this.badVerb('p', arg);
      return;
    }
    if (this.printBasic(arg, verb)) return;
    if (arg instanceof GoComplex) return this.fmtComplex(arg, verb);
    if (!this.handleMethods(arg, verb)) this.printValue(arg, verb, 0);
  }

  /** Print a bool, float64, int or string as fmt's printArg and printValue both do; false (nothing printed) for any other value. */
  private printBasic(value: Value, verb: string): value is boolean | number | bigint | string {
    switch (typeof value) {
      case 'boolean':
        this.fmtBool(value, verb);
        return true;
      case 'number':
        this.fmtFloat(value, verb);
        return true;
      case 'bigint':
        this.fmtInteger(value, true, verb, value);
        return true;
      case 'string':
        this.fmtString(value, verb);
        return true;
    }
    return false;
  }

  printValue(value: Value, verb: string, depth: number): void {
    if (depth > 0 && value !== undefined && value !== null && this.handleMethods(value, verb)) return;
    if (value === undefined) {
      if (depth === 0) this.write('<invalid reflect.Value>');
      else if (verb === 'v') this.write('<nil>');
      else this.badVerb(verb, value);
      return;
    }
    // A nil interface{} inside a []interface{} or map[string]interface{}.
    if (value === null) return this.write(this.fmt.sharpV ? 'interface {}(nil)' : '<nil>');
    if (this.printBasic(value, verb)) return;
    if (value instanceof GoInt) return this.fmtInteger(value.v, !isUintKind(value.type), verb, value);
    if (value instanceof GoComplex) return this.fmtComplex(value, verb);
    if (value instanceof GoMap) return this.printMap(value, verb, depth);
    if (value instanceof GoSlice) return this.printSlice(value, verb, depth);
    if (value instanceof GoStruct) return this.printStruct(value.type, value.fields, verb, depth);
    if (value instanceof GoTime) return this.printStruct(value.type, [], verb, depth);
    // Pointers: &{…} at the top level, an address inside containers.
    if (depth === 0 && value.elem) {
      this.write('&');
      return this.printValue(value.elem, verb, depth + 1);
    }
    this.fmtPointer(value, verb);
  }

  printMap(m: GoMap, verb: string, depth: number): void {
    if (this.fmt.sharpV) {
      this.write(m.type.name);
      if (m.nil) return this.write('(nil)');
      this.write('{');
    } else this.write('map[');
    const keys = [...m.entries.keys()].sort(compareGoStrings);
    keys.forEach((key, i) => {
      if (i > 0) this.write(this.fmt.sharpV ? ', ' : ' ');
      this.printValue(key, verb, depth + 1);
      this.write(':');
      this.printValue(m.entries.get(key), verb, depth + 1);
    });
    this.write(this.fmt.sharpV ? '}' : ']');
  }

  printSlice(s: GoSlice, verb: string, depth: number): void {
    if (this.fmt.sharpV) {
      this.write(s.type.name);
      if (s.nil) return this.write('(nil)');
      this.write('{');
    } else this.write('[');
    s.items.forEach((item, i) => {
      if (i > 0) this.write(this.fmt.sharpV ? ', ' : ' ');
      this.printValue(item, verb, depth + 1);
    });
    this.write(this.fmt.sharpV ? '}' : ']');
  }

  printStruct(type: GoType, fields: readonly Value[], verb: string, depth: number): void {
    if (this.fmt.sharpV) this.write(type.name);
    this.write('{');
    fields.forEach((field, i) => {
      if (i > 0) this.write(this.fmt.sharpV ? ', ' : ' ');
      if (this.fmt.plusV || this.fmt.sharpV) this.write(`${type.fields![i].name}:`);
      this.printValue(field, verb, depth + 1);
    });
    this.write('}');
  }
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function sprint(args: readonly Value[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) p.write(' ');
    p.printArg(arg, 'v');
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: spaces between all operands and a final newline. */
export function sprintln(args: readonly Value[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.write(' ');
    p.printArg(arg, 'v');
  });
  return `${p.buf}\n`;
}

/** fmt.Sprint of one value: what an action such as {{.}} prints. */
export function printOne(value: Value): string {
  const p = new Printer();
  p.printArg(value, 'v');
  return p.buf;
}

export { Printer };
