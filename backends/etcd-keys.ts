// etcd keys as other programs write them. keyplate's keys are absolute (`/stolon/cluster/x`), but etcd keys are
// bytes: Stolon writes `stolon/cluster/x` (no leading `/`), and a careless writer makes `/app//x` or `/app/x/`.
// Each prefix is read and watched in both spellings (`/p…` and `p…`), and every key found is taken as its
// normalised form (leading `/`, no empty segment, no trailing `/`). Keys that would need a third spelling
// (`//p/x`) are not found.
export interface Range {
  key: Buffer;
  range_end?: Buffer;
}

/** [p, p+'0'): p itself, p/…, and siblings such as p-x (filtered out by the caller). '0' is '/' + 1. */
function span(prefix: string): Range {
  return { key: Buffer.from(prefix), range_end: Buffer.from(`${prefix}0`) };
}

/** For the root, every key with a leading `/`: ['/', '0'). (span('/') would end at '/0', before '/a'.) */
const slashedRoot: Range[] = [{ key: Buffer.from('/'), range_end: Buffer.from('0') }];

/** For the root, the keys without a leading `/`: all before '/', and all from '0' ("\0" as range_end: to the end). */
const bareRoot: Range[] = [
  { key: Buffer.from([0]), range_end: Buffer.from('/') },
  { key: Buffer.from('0'), range_end: Buffer.from([0]) },
];

export type Spelling = 'slashed' | 'bare';

/**
 * Read ranges for a prefix at `/` boundaries in one spelling: the key itself, and everything under `key/`.
 * Kept apart because etcd's role-based access control grants ranges: a user with read on `/app` may have
 * nothing on `app`, and a transaction with one denied range fails whole.
 */
export function readRanges(prefix: string, spelling: Spelling): Range[] {
  if (prefix === '/') return spelling === 'slashed' ? slashedRoot : bareRoot;
  const p = spelling === 'slashed' ? prefix : prefix.slice(1);
  return [{ key: Buffer.from(p) }, { key: Buffer.from(`${p}/`), range_end: Buffer.from(`${p}0`) }];
}

/** The smallest range holding all of `ranges`. */
function cover(ranges: readonly Range[]): Range {
  let { key, range_end: end } = ranges[0];
  for (const r of ranges) {
    if (Buffer.compare(r.key, key) < 0) key = r.key;
    // "\0" as range_end means "to the end of the keyspace": the largest end there is.
    if (end!.equals(Buffer.from([0])) || r.range_end!.equals(Buffer.from([0]))) end = Buffer.from([0]);
    else if (Buffer.compare(r.range_end!, end!) > 0) end = r.range_end;
  }
  return { key, range_end: end };
}

/**
 * Watch ranges in one spelling: one range over all prefixes (two for the root's bare spelling, which has '/'
 * keys in its middle). One watcher per spelling, because etcd sends the events of one revision for one watcher
 * in one response, while for two watchers they arrive as two responses, possibly with other revisions between
 * them (when watchers catch up after a reconnect): keys in between that are under no prefix are filtered out.
 * `perPrefix`: one range per prefix, for a user whose etcd role grants the prefixes but not the keys between them
 * (etcd checks a watch's whole range); a revision that spans two prefixes may then arrive in two steps.
 */
export function watchRanges(prefixes: readonly string[], spelling: Spelling, perPrefix = false): Range[] {
  if (prefixes.includes('/')) return spelling === 'slashed' ? slashedRoot : bareRoot;
  const spans = prefixes.map((p) => span(spelling === 'slashed' ? p : p.slice(1)));
  return perPrefix ? spans : [cover(spans)];
}

/**
 * Which etcd key gives the value of each keyplate key, when several spellings normalise to one: the exact one
 * (`/p/x`) always, else the first one seen. Only keys given by another spelling are tracked, so the exact keys
 * (nearly all of them) cost one lookup in a map that is usually empty. Warns once per key naming both.
 */
export class Spellings {
  /** keyplate key → the etcd key (not spelled exactly) that gives its value. */
  private readonly aliases = new Map<string, string>();

  /** `warn(key, message)`: the backend says it once per key. */
  constructor(private readonly warn: (key: string, message: string) => void) {}

  /** Forget everything (a new snapshot follows). */
  clear(): void {
    this.aliases.clear();
  }

  /**
   * `key` (normalizeKey of `raw`) when etcd key `raw` gives its value now, undefined when another spelling does;
   * `has(key)`: whether the consumer holds a value for `key` already.
   */
  take(raw: string, key: string, has: (key: string) => boolean): string | undefined {
    const alias = this.aliases.get(key);
    if (raw === key) {
      if (alias !== undefined) {
        this.conflict(key, alias, raw);
        this.aliases.delete(key);
      }
      return key;
    }
    const current = alias ?? (has(key) ? key : undefined);
    if (current === undefined || current === raw) {
      this.aliases.set(key, raw);
      return key;
    }
    this.conflict(key, current, raw);
    return undefined;
  }

  /** `key` when deleting etcd key `raw` removes its value; undefined when another spelling gives it. */
  drop(raw: string, key: string): string | undefined {
    const alias = this.aliases.get(key);
    if (raw === key) return alias === undefined ? key : undefined;
    if (alias !== raw) return undefined;
    this.aliases.delete(key);
    return key;
  }

  private conflict(key: string, current: string, raw: string): void {
    const used = raw === key ? raw : current;
    this.warn(key, `etcd keys ${JSON.stringify(current)} and ${JSON.stringify(raw)} are both read as ${key}; using the value of ${JSON.stringify(used)}. Delete the key you do not mean`);
  }
}
