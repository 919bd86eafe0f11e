// The key/value snapshot templates read: the watch's mirror, or a one-shot read, and a resource's view of it.
import { compareUtf8, sortUtf8 } from './order.js';
import { isUnder } from './paths.js';

/** Absolute keys → values. A mirror in watch mode, a one-shot snapshot otherwise. */
export class KeyStore {
  #data: Map<string, string>;
  /** Keys in UTF-8 byte order (etcd's and Go's), rebuilt lazily after keys come or go, so `under` is a range scan. */
  #sorted: string[] | undefined;
  /** `<` agrees with UTF-8 order for every key (none above U+FFFF), so the search may use it. */
  #codeUnitOrder = true;

  constructor(
    entries?: Iterable<readonly [string, string]>,
    /**
     * The backend's spelling of a key a template reads (Backend.keyOf): the env backend reads `/kafka/broker_id`
     * as `/kafka/broker/id`, the key of KAFKA_BROKER_ID. The identity for etcd and Consul.
     */
    readonly keyOf: (key: string) => string = sameKey,
  ) {
    this.#data = new Map(entries as Iterable<[string, string]>);
  }

  /** `keys` in this store's spelling (see keyOf): the same array when every key is its own spelling. */
  spell(keys: readonly string[]): readonly string[] {
    return this.keyOf === sameKey ? keys : keys.map(this.keyOf);
  }

  /** A store that takes over `map` (a backend's fresh result) instead of copying it. */
  static adopt(map: Map<string, string>, keyOf?: (key: string) => string): KeyStore {
    const store = new KeyStore(undefined, keyOf);
    store.#data = map;
    return store;
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
    if (!this.#data.has(key)) this.#sorted = undefined;
    this.#data.set(key, value);
  }
  delete(key: string): boolean {
    const deleted = this.#data.delete(key);
    if (deleted) this.#sorted = undefined;
    return deleted;
  }
  /** Drop everything under `prefix` (used when a watch resets). */
  deleteUnder(prefix: string): void {
    for (const [key] of this.under(prefix)) this.delete(key);
  }
  /**
   * Every [key, value] at or under `prefix` (at `/` boundaries), in key order (UTF-8 bytes). An array, not a
   * generator: 200 resources listing 50 keys each spent ~27 ms stepping generators through a view (--cpu-prof).
   */
  under(prefix: string): Array<[string, string]> {
    let keys = this.#sorted;
    if (keys === undefined) {
      keys = this.#sorted = [...this.#data.keys()];
      this.#codeUnitOrder = sortUtf8(keys);
    }
    const codeUnitOrder = this.#codeUnitOrder;
    const start = prefix === '/' ? '/' : prefix;
    // Binary search written out here and in the env backend on purpose: as a shared tiny function, called some
    // hundred times per start, V8 compiled it with TurboFan during the start (~3 ms and 4 MB, --trace-opt).
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (codeUnitOrder ? keys[mid] < start : compareUtf8(keys[mid], start) < 0) lo = mid + 1;
      else hi = mid;
    }
    const out: Array<[string, string]> = [];
    for (let i = lo; i < keys.length && keys[i].startsWith(start); i++) {
      const key = keys[i];
      if (isUnder(key, prefix)) out.push([key, this.#data.get(key)!]);
    }
    return out;
  }
  entries(): IterableIterator<[string, string]> {
    return this.#data.entries();
  }
}

function sameKey(key: string): string {
  return key;
}

/** What helpers read from: a whole KeyStore, or a view of it limited to a resource's keys. */
export interface KeyReader {
  /** The store's spelling of an absolute key a template names (see KeyStore.keyOf). */
  keyOf(key: string): string;
  get(key: string): string | undefined;
  has(key: string): boolean;
  under(prefix: string): Iterable<[string, string]>;
}

/** A resource sees only the keys under its own `keys` (as in confd), without copying the mirror. */
export class KeyView implements KeyReader {
  private readonly allowed: readonly string[];
  constructor(
    private readonly store: KeyStore,
    allowed: readonly string[],
  ) {
    this.allowed = store.spell(allowed);
  }

  keyOf(key: string): string {
    return this.store.keyOf(key);
  }
  #visible(key: string): boolean {
    const allowed = this.allowed;
    for (let i = 0; i < allowed.length; i++) if (isUnder(key, allowed[i])) return true;
    return false;
  }
  get(key: string): string | undefined {
    return this.#visible(key) ? this.store.get(key) : undefined;
  }
  has(key: string): boolean {
    return this.#visible(key) && this.store.has(key);
  }
  under(prefix: string): Array<[string, string]> {
    // Scan only the allowed prefixes that overlap `prefix`, so a view never walks the whole mirror.
    const from: string[] = [];
    for (const p of this.allowed) {
      if (isUnder(p, prefix)) from.push(p);
      else if (isUnder(prefix, p)) from.push(prefix);
    }
    if (from.length === 1) return this.store.under(from[0]);
    // Overlapping allowed prefixes would yield a key twice.
    const seen = new Set<string>();
    const out: Array<[string, string]> = [];
    for (const start of from) {
      for (const entry of this.store.under(start)) {
        if (seen.has(entry[0])) continue;
        seen.add(entry[0]);
        out.push(entry);
      }
    }
    return out;
  }
}
