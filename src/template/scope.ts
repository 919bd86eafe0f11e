// What one render sees and records: the resource's view of the store, its prefix, and every key it read or missed.
import { compareUtf8 } from '../keys/order.js';
import { joinKey } from '../keys/paths.js';
import type { KeyReader } from '../keys/store.js';

/**
 * A key/value pair as templates see it; confd's Go templates say .Key/.Value, so those work too. All four are
 * own data properties: Handlebars denies access to prototype getters, and plain fields cost nothing per pair.
 */
export interface KVPair {
  readonly key: string;
  readonly value: string;
  readonly Key: string;
  readonly Value: string;
}

/** A pair as templates see it, under both spellings (key/value and confd's Key/Value). */
export function kvPair(key: string, value: string): KVPair {
  return { key, value, Key: key, Value: value };
}

/**
 * What a single render of one resource read. Helpers write into it; the runner uses it to
 * wait for missing keys and to re-render only resources a change touches.
 */
export class RenderScope {
  /** Exact absolute keys read (getv, get, exists). */
  readonly usedKeys = new Set<string>();
  // The rest are usually empty: created on first use, since a start renders every resource once.
  #usedPatterns: Set<string> | undefined;
  #usedDirs: Set<string> | undefined;
  #missingKeys: Set<string> | undefined;
  #lookups: Map<string, unknown> | undefined;
  #pendingLookups: Set<string> | undefined;

  /** Absolute glob patterns read (gets, getvs) — path.Match syntax. */
  get usedPatterns(): Set<string> {
    return (this.#usedPatterns ??= new Set());
  }
  /** Absolute directories listed (ls, lsdir): any change under them matters. */
  get usedDirs(): Set<string> {
    return (this.#usedDirs ??= new Set());
  }
  /** Absolute keys read that had no value and no default. */
  get missingKeys(): Set<string> {
    return (this.#missingKeys ??= new Set());
  }
  /**
   * DNS lookups are asynchronous but Handlebars is not: a lookup helper returns the cached answer
   * or records `kind:args` here; the renderer resolves these and renders again.
   */
  get lookups(): Map<string, unknown> {
    return (this.#lookups ??= new Map());
  }
  get pendingLookups(): Set<string> {
    return (this.#pendingLookups ??= new Set());
  }
  hasPendingLookups(): boolean {
    return this.#pendingLookups !== undefined && this.#pendingLookups.size > 0;
  }

  /**
   * The key, pattern and directory arguments the template writes as string literals (CompiledTemplate.reads). Any
   * other argument was computed by the template, perhaps from values. Undefined: not known, every read is shown.
   */
  literalArgs: ReadonlySet<string> | undefined;
  #computed: Map<string, string> | undefined;

  /**
   * The absolute key, pattern or directory a read names, from its argument `raw`. A computed one (not a literal of
   * the template) is remembered with the position of `call`, the helper call that reads (template file:line:column):
   * where it holds a backend value, logs, `keyplate check`, /readyz and the status page show that position instead
   * (issue 13; see shownKeys in runner/pipeline.ts).
   */
  readArg(raw: string, call: { position(): string }): string {
    const absolute = this.absolute(raw);
    if (this.literalArgs !== undefined && !this.literalArgs.has(raw)) (this.#computed ??= new Map()).set(absolute, call.position());
    return absolute;
  }

  /** True when the template computed this key, pattern or directory (see readArg). */
  isComputed(absolute: string): boolean {
    return this.#computed?.has(absolute) ?? false;
  }

  /** The render's output with what it recorded, as lists (missing keys sorted), without creating the empty sets. */
  result(output: string): { output: string; usedKeys: string[]; usedPatterns: string[]; usedDirs: string[]; missingKeys: string[]; computed?: ReadonlyMap<string, string> } {
    return {
      output,
      usedKeys: listOf(this.usedKeys),
      usedPatterns: listOf(this.#usedPatterns),
      usedDirs: listOf(this.#usedDirs),
      missingKeys: listOf(this.#missingKeys).sort(compareUtf8),
      computed: this.#computed,
    };
  }

  constructor(
    readonly store: KeyReader,
    /** Absolute prefix templates' keys are relative to ('/' when none). */
    readonly prefix: string,
    /** Template file name, for error messages. */
    readonly templateName: string,
    /** What `getenv` reads: the process environment plus any --env-file values. */
    readonly environment: NodeJS.ProcessEnv = process.env,
  ) {}

  /** A template key (relative to the prefix) as an absolute store key, in the backend's spelling (KeyStore.keyOf). */
  absolute(key: string): string {
    return this.store.keyOf(joinKey(this.prefix, key));
  }

  /** An absolute store key as the template sees it (prefix stripped), as confd does. */
  relative(key: string): string {
    if (this.prefix === '/') return key;
    const rest = key.slice(this.prefix.length);
    return rest === '' ? '/' : rest;
  }
}

function listOf(set: ReadonlySet<string> | undefined): string[] {
  return set === undefined || set.size === 0 ? [] : [...set];
}
