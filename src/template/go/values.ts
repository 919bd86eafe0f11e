// Go values as the executor sees them, with their Go types (reflect's view, reduced to what confd templates reach).
//
// JavaScript stands in for the common Go types directly: string = string, boolean = bool, bigint = int (64-bit),
// number = float64 (what encoding/json decodes numbers to). `undefined` is reflect's invalid Value (no value, e.g.
// a missing map key), `null` a nil interface{} (a JSON null inside a map or array). Everything else is a class
// carrying its Go type: slices, maps, structs (memkv.KVPair, net.SRV), pointers, other integer types, complex.

/** reflect.Kind, for the kinds templates meet. */
export type Kind =
  | 'bool' | 'int' | 'int64' | 'int32' | 'uint8' | 'uint16' | 'float64' | 'complex128' | 'string'
  | 'slice' | 'map' | 'struct' | 'ptr' | 'interface';

/** A struct field. */
export interface GoField {
  readonly name: string;
  readonly type: GoType;
}

/** A function or method as the executor calls it (exec.go evalCall reads the same facts from reflect). */
export interface GoFunc {
  readonly name: string;
  /** Fixed parameters. */
  readonly params: readonly GoType[];
  /** Element type of a final ...T parameter. */
  readonly variadic?: GoType;
  /** Type of the first (or only) result. */
  readonly result: GoType;
  /** The function also returns an error, which stops the template (impl throws GoCallError). */
  readonly returnsError: boolean;
  /** One of text/template's builtins: they take reflect.Value, so any argument reaches them unconverted. */
  readonly builtin?: boolean;
  /** A method with no result (memkv.KVPairs.Swap): templates cannot call it. */
  readonly noResults?: boolean;
  readonly impl: (args: Value[], call: CallContext) => Value;
}

/** What a function sees of the running template besides its arguments (the render scope lives here). */
export interface CallContext {
  readonly env: unknown;
}

/** reflect.Type reduced to what the executor and fmt ask of it. */
export interface GoType {
  readonly kind: Kind;
  /** reflect.Type.String(), as Go prints it in errors and for %T. */
  readonly name: string;
  /** A defined (named) type: assignability to an unnamed type needs identical underlying types. */
  readonly named?: boolean;
  readonly underlying?: GoType;
  readonly elem?: GoType;
  readonly key?: GoType;
  readonly fields?: readonly GoField[];
  /** Unexported struct fields (time.Time's wall, ext, loc): naming one is an error. */
  readonly hidden?: readonly string[];
  /** Exported methods, by name (KVPair.Depth, time.Time.Format …). */
  readonly methods?: Readonly<Record<string, GoFunc>>;
  /** The type has a String() method (fmt prints that instead of the value). */
  readonly stringer?: (v: Value) => string;
}

/** A value of an integer type other than int (uint8 from indexing a string, uint16 SRV ports, int64, time.Month …). */
export class GoInt {
  constructor(
    readonly type: GoType,
    readonly v: bigint,
  ) {}
}

/** complex128 (from literals such as 1+2i). */
export class GoComplex {
  constructor(
    readonly re: number,
    readonly im: number,
  ) {}
}

/** A slice: `nil` marks a nil slice (prints `[]`, but %#v says `[]string(nil)`). Items are shared like Go's backing array. */
export class GoSlice {
  constructor(
    readonly type: GoType,
    readonly items: Value[],
    readonly nil = false,
  ) {}
}

/** A map with string keys (every map a confd template can build: json, map). */
export class GoMap {
  constructor(
    readonly type: GoType,
    readonly entries: Map<string, Value>,
    readonly nil = false,
  ) {}
}

/** A struct value: memkv.KVPair, net.SRV. */
export class GoStruct {
  constructor(
    readonly type: GoType,
    /** Field values in the order of type.fields. */
    readonly fields: readonly Value[],
  ) {}
}

/** A pointer (confd's lookupSRV returns []*net.SRV); `elem` undefined is a nil pointer. */
export class GoPtr {
  constructor(
    readonly type: GoType,
    readonly elem: GoStruct | undefined,
  ) {}
}

/** time.Time: milliseconds since the epoch, the nanoseconds below them, and whether the location is UTC or Local. */
export class GoTime {
  constructor(
    readonly ms: number,
    readonly subMsNanos: number,
    readonly utc: boolean,
    /** Monotonic clock reading in ns since process start (time.Now carries one; String() prints it as m=±…). */
    readonly mono?: bigint,
  ) {}
  get type(): GoType {
    return TIME_TYPE;
  }
}

/** Any value a template can hold (see the top of this file for the mapping). */
export type Value = undefined | null | string | boolean | bigint | number | GoInt | GoComplex | GoSlice | GoMap | GoStruct | GoPtr | GoTime;

function basic(kind: Kind, name: string = kind): GoType {
  return { kind, name };
}

// time.Time's type is completed in time.ts (methods); declared here so GoTime can name it.
export const TIME_TYPE: GoType & { methods: Record<string, GoFunc> } = {
  kind: 'struct',
  name: 'time.Time',
  named: true,
  fields: [],
  methods: {},
};

const KV_PAIR_FIELDS: GoField[] = [];
const kvPairType: GoType & { methods: Record<string, GoFunc> } = { kind: 'struct', name: 'memkv.KVPair', named: true, fields: KV_PAIR_FIELDS, methods: {} };
const kvPairSlice: GoType = { kind: 'slice', name: '[]memkv.KVPair', elem: kvPairType };
const srvType: GoType = { kind: 'struct', name: 'net.SRV', named: true, fields: [] };
const srvPtr: GoType = { kind: 'ptr', name: '*net.SRV', elem: srvType };

const STRING = basic('string');
const INT = basic('int');
const IFACE = basic('interface', 'interface {}');

/** The Go types templates meet (one object per type: identity is type identity). */
export const T = {
  bool: basic('bool'),
  int: INT,
  int64: basic('int64'),
  int32: basic('int32'),
  uint8: basic('uint8'),
  uint16: basic('uint16'),
  float64: basic('float64'),
  complex128: basic('complex128'),
  string: STRING,
  iface: IFACE,
  /** reflect.Value: the parameter type of text/template's builtins. */
  reflectValue: { kind: 'struct', name: 'reflect.Value', named: true, fields: [] } as GoType,
  stringSlice: { kind: 'slice', name: '[]string', elem: STRING } as GoType,
  intSlice: { kind: 'slice', name: '[]int', elem: INT } as GoType,
  ifaceSlice: { kind: 'slice', name: '[]interface {}', elem: IFACE } as GoType,
  ifaceMap: { kind: 'map', name: 'map[string]interface {}', key: STRING, elem: IFACE } as GoType,
  kvPair: kvPairType,
  kvPairSlice,
  kvPairs: { kind: 'slice', name: 'memkv.KVPairs', named: true, underlying: kvPairSlice, elem: kvPairType } as GoType,
  srv: srvType,
  srvPtr,
  srvPtrSlice: { kind: 'slice', name: '[]*net.SRV', elem: srvPtr } as GoType,
  time: TIME_TYPE,
};
KV_PAIR_FIELDS.push({ name: 'Key', type: T.string }, { name: 'Value', type: T.string });
(srvType.fields as GoField[]).push(
  { name: 'Target', type: T.string },
  { name: 'Port', type: T.uint16 },
  { name: 'Priority', type: T.uint16 },
  { name: 'Weight', type: T.uint16 },
);
// memkv.KVPair.Depth: strings.Count(kv.Key, "/").
kvPairType.methods.Depth = {
  name: 'Depth',
  params: [],
  result: T.int,
  returnsError: false,
  impl: ([recv]) => BigInt(((recv as GoStruct).fields[0] as string).split('/').length - 1),
};

// memkv.KVPairs implements sort.Interface: Len and Less are callable from a template, Swap (no result) is not.
const kvPairsMethods = (T.kvPairs as { methods?: Record<string, GoFunc> }).methods = {} as Record<string, GoFunc>;
function pairKey(s: Value, i: Value): string {
  const items = (s as GoSlice).items;
  const n = i as bigint;
  // Go panics on a bad index; the template reports the panic as the call's error.
  if (n < 0n || n >= BigInt(items.length)) throw new GoCallError(`runtime error: index out of range [${n}] with length ${items.length}`);
  return (items[Number(n)] as GoStruct).fields[0] as string;
}
kvPairsMethods.Len = { name: 'Len', params: [], result: T.int, returnsError: false, impl: ([s]) => BigInt((s as GoSlice).items.length) };
kvPairsMethods.Less = {
  name: 'Less',
  params: [T.int, T.int],
  result: T.bool,
  returnsError: false,
  impl: ([s, i, j]) => pairKey(s, i) < pairKey(s, j),
};
kvPairsMethods.Swap = { name: 'Swap', params: [T.int, T.int], result: T.int, returnsError: false, noResults: true, impl: () => undefined };

/** A function with a Go signature: fixed parameters, an optional ...variadic element type, one result (and an error). */
export function goFunc(name: string, params: GoType[], result: GoType, returnsError: boolean, impl: GoFunc['impl'], variadic?: GoType): GoFunc {
  return { name, params, variadic, result, returnsError, impl };
}

/** memkv.KVPair{Key, Value}. */
export function kvPair(key: string, value: string): GoStruct {
  return new GoStruct(T.kvPair, [key, value]);
}

/** A []string (nil when `nil`: it prints the same, but %#v tells). */
export function stringSlice(items: string[], nil = false): GoSlice {
  return new GoSlice(T.stringSlice, items, nil);
}

/** reflect.Value.Type() of a valid value; a nil interface{} (null) is of type interface {}. */
export function typeOf(v: Exclude<Value, undefined>): GoType {
  switch (typeof v) {
    case 'string':
      return T.string;
    case 'boolean':
      return T.bool;
    case 'bigint':
      return T.int;
    case 'number':
      return T.float64;
  }
  if (v === null) return T.iface;
  if (v instanceof GoComplex) return T.complex128;
  return v.type;
}

/** Go's assignability for the types here: identical, to interface{}, or identical underlying types with one unnamed. */
export function assignable(from: GoType, to: GoType): boolean {
  if (from === to || to.kind === 'interface') return true;
  if (from.named && to.named) return false;
  return (from.underlying ?? from) === (to.underlying ?? to);
}

/** reflect.Zero(t): the zero value, or a nil of t. */
export function zeroOf(t: GoType): Value {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
      return t === T.int ? 0n : new GoInt(t, 0n);
    case 'float64':
      return 0;
    case 'interface':
      return null;
    case 'slice':
      return new GoSlice(t, [], true);
    case 'map':
      return new GoMap(t, new Map(), true);
    case 'ptr':
      return new GoPtr(t, undefined);
    case 'struct':
      return new GoStruct(t, (t.fields ?? []).map((f) => zeroOf(f.type)));
    default:
      return new GoInt(t, 0n);
  }
}

/** exec.go canBeNil: the types an untyped nil can be assigned to. */
export function canBeNil(t: GoType): boolean {
  return t.kind === 'slice' || t.kind === 'map' || t.kind === 'ptr' || t.kind === 'interface' || t === T.reflectValue;
}

/** A signed integer type (int, int64, int32, time.Month …). */
export function isIntKind(t: GoType): boolean {
  return t.kind === 'int' || t.kind === 'int64' || t.kind === 'int32';
}

/** An unsigned integer type (uint8, uint16). */
export function isUintKind(t: GoType): boolean {
  return t.kind === 'uint8' || t.kind === 'uint16';
}

/** exec.go isTrue: Go's truth (ok false for values with no truth, which only func and chan values lack). */
export function isTrue(v: Value): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'string':
      return v.length > 0;
    case 'boolean':
      return v;
    case 'bigint':
      return v !== 0n;
    case 'number':
      return v !== 0;
  }
  if (v instanceof GoInt) return v.v !== 0n;
  if (v instanceof GoComplex) return v.re !== 0 || v.im !== 0;
  if (v instanceof GoSlice) return v.items.length > 0;
  if (v instanceof GoMap) return v.entries.size > 0;
  if (v instanceof GoPtr) return v.elem !== undefined;
  return true; // structs (KVPair, time.Time) are always true
}

/** The integer in an int-like value (int, int64, uint8 …), or undefined. */
export function intValue(v: Value): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (v instanceof GoInt) return v.v;
  return undefined;
}

/** reflect's Type.Comparable for our types: slices and maps are not; structs are when their fields are. */
export function comparable(t: GoType): boolean {
  if (t.kind === 'slice' || t.kind === 'map') return false;
  if (t.kind === 'struct') return (t.fields ?? []).every((f) => comparable(f.type));
  return true;
}

/** Go's == for two valid values of one comparable type. */
export function sameValue(a: Value, b: Value): boolean {
  if (a instanceof GoStruct && b instanceof GoStruct) return a.type === b.type && a.fields.every((f, i) => sameValue(f, b.fields[i]));
  if (a instanceof GoTime && b instanceof GoTime) return a.ms === b.ms && a.subMsNanos === b.subMsNanos && a.utc === b.utc;
  if (a instanceof GoInt && b instanceof GoInt) return a.type === b.type && a.v === b.v;
  if (a instanceof GoComplex && b instanceof GoComplex) return a.re === b.re && a.im === b.im;
  return a === b;
}

/** Go's len(string) counts UTF-8 bytes (the bytes keyplate writes). */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The error a function returned (its second result), or a run-time panic it raised; Go's text. */
export class GoCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoCallError';
  }
}
