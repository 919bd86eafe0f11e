// The key/value snapshot templates read, and the record of what one render touched.
import { isUnder, normalizeKey } from '../backends/types.js';

export interface KVPair {
  key: string;
  value: string;
  /** confd's Go templates say .Key/.Value; these make such templates port with fewer edits. */
  readonly Key: string;
  readonly Value: string;
}

export function kvPair(key: string, value: string): KVPair {
  return {
    key,
    value,
    get Key() {
      return this.key;
    },
    get Value() {
      return this.value;
    },
  };
}

/** Absolute keys → values. A mirror in watch mode, a one-shot snapshot otherwise. */
export class KeyStore {
  readonly #data: Map<string, string>;

  constructor(entries?: Iterable<readonly [string, string]>) {
    this.#data = new Map(entries as Iterable<[string, string]>);
  }

  get size(): number {
    return this.#data.size;
  }
  get(key: string): string | undefined {
    return this.#data.get(key);
  }
  has(key: string): boolean {
    return this.#data.has(key);
  }
  set(key: string, value: string): void {
    this.#data.set(key, value);
  }
  delete(key: string): boolean {
    return this.#data.delete(key);
  }
  /** Drop everything under `prefix` (used when a watch resets). */
  deleteUnder(prefix: string): void {
    for (const key of this.#data.keys()) if (isUnder(key, prefix)) this.#data.delete(key);
  }
  /** Every [key, value] at or under `prefix` (at `/` boundaries), in insertion order. */
  *under(prefix: string): Generator<[string, string]> {
    for (const entry of this.#data) if (isUnder(entry[0], prefix)) yield entry;
  }
  entries(): IterableIterator<[string, string]> {
    return this.#data.entries();
  }
}

/**
 * What a single render of one resource read. Helpers write into it; the runner uses it to
 * wait for missing keys and to re-render only resources a change touches.
 */
export class RenderScope {
  /** Exact absolute keys read (getv, get, exists). */
  readonly usedKeys = new Set<string>();
  /** Absolute glob patterns read (gets, getvs) — path.Match syntax. */
  readonly usedPatterns = new Set<string>();
  /** Absolute directories listed (ls, lsdir): any change under them matters. */
  readonly usedDirs = new Set<string>();
  /** Absolute keys read that had no value and no default. */
  readonly missingKeys = new Set<string>();
  /**
   * DNS lookups are asynchronous but Handlebars is not: a lookup helper returns the cached answer
   * or records `kind:args` here; the renderer resolves these and renders again.
   */
  readonly lookups = new Map<string, unknown>();
  readonly pendingLookups = new Set<string>();

  constructor(
    readonly store: KeyStore,
    /** Absolute prefix templates' keys are relative to ('/' when none). */
    readonly prefix: string,
    /** Template file name, for error messages. */
    readonly templateName: string,
    /** What `getenv` reads: the process environment plus any --env-file values. */
    readonly environment: NodeJS.ProcessEnv = process.env,
  ) {}

  /** A template key (relative to the prefix) as an absolute store key. */
  absolute(key: string): string {
    return normalizeKey(this.prefix + '/' + key);
  }

  /** An absolute store key as the template sees it (prefix stripped), as confd does. */
  relative(key: string): string {
    if (this.prefix === '/') return key;
    const rest = key.slice(this.prefix.length);
    return rest === '' ? '/' : rest;
  }
}
