// What every helper shares: how it finds the render scope, checks its arguments and fails.
import { RenderError } from '../../errors.js';
import type { ResourceScope } from '../resource-scope.js';
import type { RenderScope } from '../scope.js';

/** One invocation of a helper, as the helper body sees it. */
export interface HelperCall {
  readonly name: string;
  /** Absent only when a template is run without `{ data: { keyplate: scope } }`. */
  readonly scope: RenderScope | undefined;
  /** The scope, or a RenderError saying the renderer did not pass one. */
  requireScope(): RenderScope;
  /** Throw `<template>: <helper>: <message>`. Never put a backend value in `message`. */
  fail(message: string, cause?: unknown): never;
  /** Throw `<template>:<line>:<column>: <message>` (the call's position in the template), without the helper's name. */
  failAt(message: string): never;
  /** `<template>:<line>:<column>`, the call's position in the template (`<template>` when unknown). */
  position(): string;
}

export interface HelperSpec {
  /** Fewest and most positional arguments (Handlebars' trailing options object not counted). */
  readonly arity: readonly [min: number, max: number];
  readonly fn: (call: HelperCall, args: readonly unknown[]) => unknown;
}

export type HelperTable = Readonly<Record<string, HelperSpec>>;

export interface HelperEnvironment {
  registerHelper(name: string, fn: (...args: any[]) => unknown): void;
  /** The helpers registered so far (Handlebars' own `each` among them). */
  helpers?: Record<string, (...args: any[]) => any>;
}

interface HelperOptions {
  data?: { keyplate?: RenderScope };
  hash?: Record<string, unknown>;
  /** Where the call is in the template (Handlebars passes it to every helper). */
  loc?: { start: { line: number; column: number } };
}

/** Wrap a spec as a Handlebars helper: split off the options, check arity, build the call. */
export function toHandlebarsHelper(name: string, spec: HelperSpec): (...args: unknown[]) => unknown {
  const [min, max] = spec.arity;
  return function keyplateHelper(...all: unknown[]): unknown {
    const options = (all.pop() ?? {}) as HelperOptions;
    const scope = options.data?.keyplate;
    // Every helper call counts towards the render's time limit (a loop of calls is a loop of ticks).
    (scope as Partial<ResourceScope> | undefined)?.budget?.tick();
    const call = new Call(name, scope, options.loc);
    if (options.hash) {
      for (const key in options.hash) call.fail(`named arguments are not supported (got ${Object.keys(options.hash).join(', ')})`);
    }
    if (all.length < min || all.length > max) {
      const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      call.fail(`expects ${wanted} argument${max === 1 ? '' : 's'}, got ${all.length}`);
    }
    return spec.fn(call, all);
  };
}

/** One helper invocation; a class, so a call allocates one small object and no closures (helpers run per render). */
class Call implements HelperCall {
  constructor(
    readonly name: string,
    readonly scope: RenderScope | undefined,
    readonly loc?: { start: { line: number; column: number } },
  ) {}
  requireScope(): RenderScope {
    if (this.scope) return this.scope;
    return this.fail('no render scope: call the template with { data: { keyplate: scope } }');
  }
  fail(message: string, cause?: unknown): never {
    throw new RenderError(`${this.scope?.templateName ?? 'template'}: ${this.name}: ${message}`, { cause });
  }
  failAt(message: string): never {
    throw new RenderError(`${this.position()}: ${message}`);
  }
  position(): string {
    const where = this.loc ? `:${this.loc.start.line}:${this.loc.start.column + 1}` : '';
    return `${this.scope?.templateName ?? 'template'}${where}`;
  }
}

/** A string argument; numbers and booleans are accepted as their text, anything else is an error. */
export function str(call: HelperCall, value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return call.fail(`${what} must be a string, got ${typeName(value)}`);
}

/** A key or pattern argument: only a real string will do. */
export function keyArg(call: HelperCall, value: unknown, what = 'key'): string {
  if (typeof value === 'string') return value;
  return call.fail(`${what} must be a string, got ${typeName(value)}`);
}

/** A list argument (an array; `gets`, `split`, `seq` … all return arrays). */
export function list(call: HelperCall, value: unknown, what = 'argument'): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return call.fail(`${what} must be a list, got ${typeName(value)}`);
}

const INTEGER = /^[+-]?\d+$/;

/**
 * An integer argument. Numbers must be safe integers; strings must be decimal integers (so
 * `add (getv "/port") 1` works as well as confd's `add (atoi (getv "/port")) 1`).
 * The message names the type, never the value: it may have come from the backend.
 */
export function int(call: HelperCall, value: unknown, what: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value;
    return call.fail(`${what} must be an integer, got a ${Number.isFinite(value) ? 'non-integer' : 'non-finite'} number`);
  }
  if (typeof value === 'string' && INTEGER.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n === 0 ? 0 : n;
    return call.fail(`${what} is out of range (beyond ±${Number.MAX_SAFE_INTEGER})`);
  }
  return call.fail(`${what} must be an integer, got ${typeof value === 'string' ? 'a non-integer string' : typeName(value)}`);
}

/** Describe a value's type only: arguments may come from the backend (json of a secret, say). */
function typeName(value: unknown): string {
  if (value === undefined) return 'nothing (undefined: a misspelt name?)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

/** Go's sort.Strings order: by UTF-8 bytes (see keys/order.ts; JavaScript's `<` differs above U+FFFF). */
export { compareUtf8 as compareStrings } from '../../keys/order.js';
