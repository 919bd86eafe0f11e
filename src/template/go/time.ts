// time.Time for confd's `datetime` (time.Now): Go's layout-based Format (Go 1.19 time/format.go nextStdChunk),
// String() with the monotonic reading, and the accessors templates call (Unix, Year, Month, Day, UTC …).
import { GoInt, GoTime, T, TIME_TYPE, type GoFunc, type GoType, type Value } from './values.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const MONTH_TYPE: GoType = { kind: 'int', name: 'time.Month', named: true, stringer: (v) => MONTHS[Number((v as GoInt).v) - 1] ?? `%!Month(${(v as GoInt).v})` };
const WEEKDAY_TYPE: GoType = { kind: 'int', name: 'time.Weekday', named: true, stringer: (v) => DAYS[Number((v as GoInt).v)] ?? `%!Weekday(${(v as GoInt).v})` };

/** The broken-down time in the value's location. */
interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number;
  yearDay: number;
  offsetSeconds: number;
  zone: string;
}

function localZone(date: Date): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}

function fieldsOf(t: GoTime): Fields {
  const date = new Date(t.ms);
  const offsetSeconds = t.utc ? 0 : -date.getTimezoneOffset() * 60;
  const shifted = new Date(t.ms + offsetSeconds * 1000);
  const year = shifted.getUTCFullYear();
  const startOfYear = Date.UTC(year, 0, 1);
  const zone = t.utc ? 'UTC' : localZone(date);
  return {
    year,
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    nanos: (((t.ms % 1000) + 1000) % 1000) * 1e6 + t.subMsNanos,
    weekday: shifted.getUTCDay(),
    yearDay: Math.floor((Date.UTC(year, shifted.getUTCMonth(), shifted.getUTCDate()) - startOfYear) / 86400000) + 1,
    offsetSeconds,
    zone: zone === 'GMT' && offsetSeconds === 0 && !t.utc ? 'UTC' : zone,
  };
}

const pad = (n: number, width: number): string => (n < 0 ? `-${String(-n).padStart(width, '0')}` : String(n).padStart(width, '0'));

/** Numeric zone: -0700, -07:00, -07, with seconds variants; ISO forms print Z for UTC. */
function formatZone(f: Fields, std: string): string {
  if (std[0] === 'Z' && f.offsetSeconds === 0) return 'Z';
  let zone = Math.trunc(f.offsetSeconds / 60);
  let abs = f.offsetSeconds;
  let out = '+';
  if (zone < 0) {
    out = '-';
    zone = -zone;
    abs = -abs;
  }
  out += pad(Math.trunc(zone / 60), 2);
  const body = std.slice(1);
  if (body === '07:00' || body === '07:00:00') out += `:${pad(zone % 60, 2)}`;
  else if (body === '0700' || body === '070000') out += pad(zone % 60, 2);
  if (body === '07:00:00') out += `:${pad(abs % 60, 2)}`;
  else if (body === '070000') out += pad(abs % 60, 2);
  return out;
}

/** Fractional seconds: ".000" keeps n digits, ".999" drops trailing zeros (and the point when nothing is left). */
function formatFraction(nanos: number, std: string): string {
  const trim = std[1] === '9';
  const n = Math.min(std.length - 1, 9);
  if (trim && nanos === 0) return '';
  let digits = String(nanos).padStart(9, '0').slice(0, n);
  if (trim) digits = digits.replace(/0+$/, '');
  return digits === '' ? '' : `${std[0]}${digits}`;
}

const CHUNK =
  /January|Jan(?![a-z])|Monday|Mon(?![a-z])|MST|0[1-6]|15|1|2006|2|_2006|_2|[345]|PM|pm|-070000|-07:00:00|-0700|-07:00|-07|Z070000|Z07:00:00|Z0700|Z07:00|Z07|[.,](?:0+|9+)(?![0-9])/g;

function formatChunk(f: Fields, std: string): string {
  switch (std) {
    case 'January':
      return MONTHS[f.month - 1];
    case 'Jan':
      return MONTHS[f.month - 1].slice(0, 3);
    case 'Monday':
      return DAYS[f.weekday];
    case 'Mon':
      return DAYS[f.weekday].slice(0, 3);
    case 'MST':
      return f.zone !== '' ? f.zone : formatZone(f, '-0700');
    case '01':
      return pad(f.month, 2);
    case '02':
      return pad(f.day, 2);
    case '03':
      return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
    case '04':
      return pad(f.minute, 2);
    case '05':
      return pad(f.second, 2);
    case '06':
      return pad(((f.year % 100) + 100) % 100, 2);
    case '15':
      return pad(f.hour, 2);
    case '1':
      return String(f.month);
    case '2006':
      return pad(f.year, 4);
    case '_2006':
      return `_${pad(f.year, 4)}`;
    case '2':
      return String(f.day);
    case '_2':
      return f.day < 10 ? ` ${f.day}` : String(f.day);
    case '3':
      return String(f.hour % 12 === 0 ? 12 : f.hour % 12);
    case '4':
      return String(f.minute);
    case '5':
      return String(f.second);
    case 'PM':
      return f.hour >= 12 ? 'PM' : 'AM';
    case 'pm':
      return f.hour >= 12 ? 'pm' : 'am';
  }
  if (std[0] === '-' || std[0] === 'Z') return formatZone(f, std);
  return formatFraction(f.nanos, std);
}

/** time.Time.Format(layout). */
export function formatTime(t: GoTime, layout: string): string {
  const f = fieldsOf(t);
  return layout.replace(CHUNK, (std) => formatChunk(f, std));
}

/** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST", plus " m=±s.nnnnnnnnn" for time.Now. */
function timeString(t: GoTime): string {
  let s = formatTime(t, '2006-01-02 15:04:05.999999999 -0700 MST');
  if (t.mono !== undefined) {
    const sign = t.mono < 0n ? '-' : '+';
    const m = t.mono < 0n ? -t.mono : t.mono;
    s += ` m=${sign}${m / 1_000_000_000n}.${String(m % 1_000_000_000n).padStart(9, '0')}`;
  }
  return s;
}

function nanosSinceEpoch(t: GoTime): bigint {
  return BigInt(Math.floor(t.ms)) * 1_000_000n + BigInt(t.subMsNanos);
}

function method(name: string, params: GoType[], result: GoType, impl: (t: GoTime, args: Value[]) => Value): GoFunc {
  return { name, params, result, returnsError: false, impl: ([recv, ...args]) => impl(recv as GoTime, args) };
}

const int = (n: number): bigint => BigInt(n);

Object.assign(TIME_TYPE, { stringer: (v: Value) => timeString(v as GoTime), hidden: ['wall', 'ext', 'loc'] });
for (const m of [
  method('Format', [T.string], T.string, (t, [layout]) => formatTime(t, layout as string)),
  method('String', [], T.string, (t) => timeString(t)),
  method('Unix', [], T.int64, (t) => new GoInt(T.int64, BigInt(Math.floor(t.ms / 1000)))),
  method('UnixMilli', [], T.int64, (t) => new GoInt(T.int64, BigInt(Math.floor(t.ms)))),
  method('UnixNano', [], T.int64, (t) => new GoInt(T.int64, nanosSinceEpoch(t))),
  method('Year', [], T.int, (t) => int(fieldsOf(t).year)),
  method('Month', [], MONTH_TYPE, (t) => new GoInt(MONTH_TYPE, int(fieldsOf(t).month))),
  method('Day', [], T.int, (t) => int(fieldsOf(t).day)),
  method('Hour', [], T.int, (t) => int(fieldsOf(t).hour)),
  method('Minute', [], T.int, (t) => int(fieldsOf(t).minute)),
  method('Second', [], T.int, (t) => int(fieldsOf(t).second)),
  method('Nanosecond', [], T.int, (t) => int(fieldsOf(t).nanos)),
  method('YearDay', [], T.int, (t) => int(fieldsOf(t).yearDay)),
  method('Weekday', [], WEEKDAY_TYPE, (t) => new GoInt(WEEKDAY_TYPE, int(fieldsOf(t).weekday))),
  method('UTC', [], TIME_TYPE, (t) => new GoTime(t.ms, t.subMsNanos, true)),
  method('Local', [], TIME_TYPE, (t) => new GoTime(t.ms, t.subMsNanos, false)),
  method('IsZero', [], T.bool, () => false),
]) {
  TIME_TYPE.methods[m.name] = m;
}

/** time.Now(): the wall clock with sub-millisecond precision and a monotonic reading since the process started. */
export function timeNow(): GoTime {
  const now = performance.timeOrigin + performance.now();
  const ms = Math.floor(now);
  return new GoTime(ms, Math.round((now - ms) * 1e6) % 1_000_000, false, process.hrtime.bigint() - START);
}

const START = process.hrtime.bigint() - BigInt(Math.round(process.uptime() * 1e9));
