// strconv.FormatFloat(f, fmt, prec, 64) for the verbs fmt uses: 'e' 'E' 'f' 'g' 'G' 'b' 'x' 'X' (Go 1.19
// strconv/ftoa.go). Digits come from the exact binary value (BigInt), rounded half to even as Go's decimal
// rounding does; the shortest form (prec -1) uses the shortest round-trip digits, which Go and JavaScript agree on.

/** Decimal digits without trailing zeros and the decimal point position: value = 0.d₁d₂… × 10^dp. */
interface Digits {
  d: string;
  dp: number;
}

const F64 = new DataView(new ArrayBuffer(8));

function bitsOf(f: number): { neg: boolean; mant: bigint; exp: number } {
  F64.setFloat64(0, f);
  const hi = F64.getUint32(0);
  const lo = F64.getUint32(4);
  const neg = hi >>> 31 === 1;
  let exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  // Go's FormatFloat: denormals have exponent 1 without the implicit bit; exp is then unbiased.
  if (exp === 0) exp++;
  else mant |= 1n << 52n;
  return { neg, mant, exp: exp - 1023 };
}

/** The exact decimal expansion of |f| (finite). */
function exactDigits(f: number): Digits {
  const { mant, exp } = bitsOf(f);
  if (mant === 0n) return { d: '', dp: 0 };
  const e2 = exp - 52;
  let text: string;
  let dp: number;
  if (e2 >= 0) {
    text = (mant << BigInt(e2)).toString();
    dp = text.length;
  } else {
    // mant / 2^k = mant·5^k / 10^k
    text = (mant * 5n ** BigInt(-e2)).toString();
    dp = text.length + e2;
  }
  return { d: text.replace(/0+$/, ''), dp };
}

/** The shortest digits that read back as f (JavaScript's Number-to-String digits equal Go's shortest). */
function shortestDigits(f: number): Digits {
  if (f === 0) return { d: '', dp: 0 };
  const [mant, exp] = Math.abs(f).toExponential().split('e');
  return { d: mant.replace('.', '').replace(/0+$/, ''), dp: Number(exp) + 1 };
}

/** decimal.Round(nd): round to nd digits, half to even on the exact digits (a no-op when nd < 0 or nothing to cut). */
function round(x: Digits, nd: number): Digits {
  if (nd < 0 || nd >= x.d.length) return x;
  const next = x.d.charCodeAt(nd);
  const up = next > 53 || (next === 53 && (nd + 1 < x.d.length || (nd > 0 && (x.d.charCodeAt(nd - 1) - 48) % 2 === 1)));
  if (!up) {
    const d = x.d.slice(0, nd).replace(/0+$/, '');
    return { d, dp: d === '' ? 0 : x.dp };
  }
  let i = nd - 1;
  while (i >= 0 && x.d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: x.dp + 1 };
  return { d: x.d.slice(0, i) + String.fromCharCode(x.d.charCodeAt(i) + 1), dp: x.dp };
}

function fmtE(neg: boolean, x: Digits, prec: number, ch: string): string {
  let out = neg ? '-' : '';
  out += x.d.length > 0 ? x.d[0] : '0';
  if (prec > 0) out += `.${x.d.slice(1, prec + 1).padEnd(prec, '0')}`;
  let exp = x.d.length === 0 ? 0 : x.dp - 1;
  const sign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return `${out}${ch}${sign}${exp < 10 ? `0${exp}` : exp}`;
}

function fmtF(neg: boolean, x: Digits, prec: number): string {
  let out = neg ? '-' : '';
  out += x.dp > 0 ? x.d.slice(0, x.dp).padEnd(x.dp, '0') : '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) {
      const j = x.dp + i - 1;
      out += j >= 0 && j < x.d.length ? x.d[j] : '0';
    }
  }
  return out;
}

/** %b: decimal mantissa, binary exponent (strconv.fmtB). */
function fmtB(f: number): string {
  const { neg, mant, exp } = bitsOf(f);
  const e = exp - 52;
  return `${neg ? '-' : ''}${mant}p${e >= 0 ? '+' : '-'}${Math.abs(e)}`;
}

/** %x: -0x1.yyyp±dd (strconv.fmtX), leading 1 at bit 60, rounding half to even when a precision is given. */
function fmtX(f: number, prec: number, upper: boolean): string {
  let { neg, mant, exp } = bitsOf(f);
  if (mant === 0n) exp = 0;
  mant <<= 8n;
  const bit60 = 1n << 60n;
  while (mant !== 0n && (mant & bit60) === 0n) {
    mant <<= 1n;
    exp--;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & (bit60 - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      exp++;
    }
  }
  const hex = upper ? '0123456789ABCDEF' : '0123456789abcdef';
  let out = `${neg ? '-' : ''}0${upper ? 'X' : 'x'}${(mant >> 60n) & 1n}`;
  mant = (mant << 4n) & ((1n << 64n) - 1n);
  const digit = (): string => {
    const d = hex[Number((mant >> 60n) & 15n)];
    mant = (mant << 4n) & ((1n << 64n) - 1n);
    return d;
  };
  if (prec < 0 && mant !== 0n) {
    out += '.';
    while (mant !== 0n) out += digit();
  } else if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) out += digit();
  }
  const sign = exp < 0 ? '-' : '+';
  const e = Math.abs(exp);
  return `${out}${upper ? 'P' : 'p'}${sign}${e < 10 ? `0${e}` : e}`;
}

/**
 * strconv.FormatFloat(f, fmt, prec, 64). Infinities are "+Inf"/"-Inf", NaN is "NaN"; prec -1 means the shortest
 * representation; %g switches to %e when the exponent is < -4 or ≥ the precision (6 for the shortest form).
 */
export function formatFloat(f: number, fmt: string, prec: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (fmt === 'b') return fmtB(f);
  if (fmt === 'x' || fmt === 'X') return fmtX(f, prec, fmt === 'X');
  const neg = f < 0 || Object.is(f, -0);
  const shortest = prec < 0;
  let x: Digits;
  if (shortest) {
    x = shortestDigits(f);
    if (fmt === 'e' || fmt === 'E') prec = Math.max(x.d.length - 1, 0);
    else if (fmt === 'f') prec = Math.max(x.d.length - x.dp, 0);
    else prec = x.d.length;
  } else {
    const exact = exactDigits(f);
    if (fmt === 'f') x = round(exact, exact.dp + prec);
    else if (fmt === 'e' || fmt === 'E') x = round(exact, prec + 1);
    else {
      if (prec === 0) prec = 1;
      x = round(exact, prec);
    }
  }
  if (fmt === 'e' || fmt === 'E') return fmtE(neg, x, prec, fmt);
  if (fmt === 'f') return fmtF(neg, x, prec);
  // 'g' / 'G'
  let eprec = prec;
  if (eprec > x.d.length && x.d.length >= x.dp) eprec = x.d.length;
  if (shortest) eprec = 6;
  const exp = x.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > x.d.length) prec = x.d.length;
    return fmtE(neg, x, prec - 1, fmt === 'g' ? 'e' : 'E');
  }
  if (prec > x.dp) prec = x.d.length;
  return fmtF(neg, x, Math.max(prec - x.dp, 0));
}
