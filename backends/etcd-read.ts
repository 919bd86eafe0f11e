// etcd reads pinned to one moment of the store: both spellings of each prefix (etcd-keys.ts) in transactions of at
// most 128 ranges, every one after the first at the first one's revision; the watch in etcd.ts resyncs from them.
import { normalizeKey } from '../src/keys/paths.js';
import { rangeTxn } from './etcd-decode.js';
import type { Client, Etcd3Module } from './etcd-client.js';
import { readRanges, watchRanges, type Range, type Spellings } from './etcd-keys.js';

/** etcd's default --max-txn-ops: a transaction with more operations is rejected. */
const maxTxnOps = 128;

/** One moment of the store: the values read, the revision they were read at. */
export interface Snapshot {
  values: Map<string, string>;
  revision: number;
  /** False when the user may not read the keys spelled without a leading `/` (they are then not watched either). */
  bare: boolean;
}

/**
 * Linearizable reads in transactions of at most 128 ranges (both spellings of each prefix, see etcd-keys.ts); every transaction after the first reads at the first one's
 * revision, so the result is one moment of the store. If that revision is compacted meanwhile, read again.
 */
export async function readPinned(lib: Etcd3Module, client: Client, prefixes: readonly string[], spellings: Spellings): Promise<Snapshot> {
  const slashed = prefixes.flatMap((p) => readRanges(p, 'slashed'));
  const bare = prefixes.flatMap((p) => readRanges(p, 'bare'));
  for (let tries = 1; ; tries++) {
    try {
      const snapshot: Snapshot = { values: new Map(), revision: 0, bare: true };
      spellings.clear();
      await readRangesAt(client, slashed, spellings, snapshot);
      try {
        if (await anyKeyIn(client, watchRanges(prefixes, 'bare'), snapshot.revision)) await readRangesAt(client, bare, spellings, snapshot);
      } catch (error) {
        // A user whose role grants `/app` but not `app`: that spelling is not theirs to read, so it is not read.
        if (!(error instanceof lib.EtcdPermissionDeniedError)) throw error;
        snapshot.bare = false;
      }
      return snapshot;
    } catch (error) {
      if (tries >= 3 || !isCompacted(lib, error)) throw error;
    }
  }
}

/**
 * Whether any key lies in `ranges` at `revision`: one counting transaction. Most stores have no key spelled
 * without `/`, and this spares reading each prefix's bare ranges (a 200-prefix read took 66 ms instead of 39).
 * When the role does not grant the whole span, the ranges themselves are read (and may be granted).
 */
async function anyKeyIn(client: Client, ranges: readonly Range[], revision: number): Promise<boolean> {
  try {
    const response = await client.kv.txn({ success: ranges.map((range) => ({ request_range: { ...range, revision, count_only: true } })) });
    return response.responses.some((op) => Number(op.response_range.count) > 0);
  } catch {
    return true;
  }
}

/** Read `ranges` in transactions of at most 128, at `snapshot.revision` (0: now, and set it), into `snapshot`. */
async function readRangesAt(client: Client, ranges: readonly Range[], spellings: Spellings, snapshot: Snapshot): Promise<void> {
  const has = (key: string) => snapshot.values.has(key);
  for (let start = 0; start < ranges.length; start += maxTxnOps) {
    const success = ranges.slice(start, start + maxTxnOps).map((range) => ({ request_range: { ...range, revision: snapshot.revision } }));
    const response = await rangeTxn(client, success);
    if (snapshot.revision === 0) snapshot.revision = response.header.revision;
    for (const op of response.responses) {
      for (const kv of op.response_range.kvs) {
        // `p/x`, `/p//x` and `/p/x/` are all /p/x; whatever a prefix's ranges hold normalises to a key under it.
        const raw = kv.key.toString();
        const key = normalizeKey(raw);
        if (spellings.take(raw, key, has)) snapshot.values.set(key, kv.value.toString());
      }
    }
  }
}

export function isCompacted(lib: Etcd3Module, error: unknown): boolean {
  return error instanceof Error && !(error instanceof lib.GRPCUnavailableError) && error.message.includes('required revision has been compacted');
}
