// The etcd backend against real etcd servers: conformance, wide and pinned reads, an outage, a compacted watch.
import { execFileSync } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEtcdBackend } from '../backends/etcd.js';
import { BackendError, type BackendOptions, type WatchEvent } from '../backends/types.js';
import { backendConformance } from './conformance.js';
import { mirrorOf, whileWatching } from './lifecycle.js';
import { freePorts, startEtcd, type EtcdServer } from './servers/etcd.js';
import { waitFor } from './util.js';

function options(nodes: string[], more: Partial<BackendOptions> = {}): BackendOptions {
  return { nodes, envFiles: [], retryMin: 50, retryMax: 400, ...more };
}

/** What a consumer of the events would hold. */
async function storeUnder(client: Etcd3, prefix: string): Promise<Record<string, string>> {
  const all = await client.getAll().prefix(`${prefix}/`).strings();
  return Object.fromEntries(Object.entries(all).sort());
}

let shared: Promise<EtcdServer> | undefined;
const sharedServer = () => (shared ??= startEtcd());
afterAll(async () => {
  await (await shared)?.stop();
});

backendConformance('etcd', async () => {
  const server = await sharedServer();
  const client = new Etcd3({ hosts: server.endpoints });
  return {
    backend: createEtcdBackend(options(server.endpoints)),
    put: async (key, value) => void (await client.put(key).value(value)),
    del: async (key) => void (await client.delete().key(key)),
    clear: async () => void (await client.delete().prefix('/cf/')),
  };
});

describe('etcd backend', () => {
  let server: EtcdServer;
  let client: Etcd3;
  beforeAll(async () => {
    server = await sharedServer();
    client = new Etcd3({ hosts: server.endpoints });
  });
  afterAll(() => client?.close());

  it('reads 200 prefixes in one call: 400 ranges in several transactions, `/` boundaries kept', async () => {
    const expected: Record<string, string> = {};
    for (let start = 0; start < 200; start += 50) {
      const txn = client.if('/wide/none', 'Version', '==', 0);
      const puts = [];
      for (let i = start; i < start + 50; i++) {
        puts.push(client.put(`/wide/p${i}/k`).value(`v${i}`));
        expected[`/wide/p${i}/k`] = `v${i}`;
      }
      await txn.then(...puts).commit();
    }
    await client.put('/wide/p1x').value('a sibling, not under /wide/p1');
    const backend = createEtcdBackend(options(server.endpoints));
    try {
      const values = await backend.getValues(Array.from({ length: 200 }, (_, i) => `/wide/p${i}`));
      expect(Object.fromEntries([...values].sort())).toEqual(Object.fromEntries(Object.entries(expected).sort()));
    } finally {
      await backend.close();
    }
  });

  it('sees one moment of the store even when the keys fall into different transactions', async () => {
    // /pin/a is in the first transaction and /pin/z in the third; a writer changes both together.
    const prefixes = ['/pin/a', ...Array.from({ length: 150 }, (_, i) => `/pin/m/p${i}`), '/pin/z'];
    const backend = createEtcdBackend(options(server.endpoints));
    let writes = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        writes++;
        const value = Buffer.from(String(writes));
        await client.kv.txn({ success: [{ request_put: { key: Buffer.from('/pin/a'), value } }, { request_put: { key: Buffer.from('/pin/z'), value } }] });
      }
    })();
    try {
      let reads = 0;
      const seen = new Set<string>();
      while (reads < 40 || (seen.size < 5 && reads < 400)) {
        const values = await backend.getValues(prefixes);
        reads++;
        expect(values.get('/pin/z'), `read ${reads}`).toBe(values.get('/pin/a'));
        seen.add(values.get('/pin/a') ?? '');
      }
      expect(seen.size, 'the writer changed the keys between reads').toBeGreaterThanOrEqual(5);
    } finally {
      writing = false;
      await writer;
      await backend.close();
    }
  });

  it('throws a BackendError naming the endpoint when nothing answers (never an empty result)', async () => {
    const [port] = await freePorts(1);
    const backend = createEtcdBackend(options([`127.0.0.1:${port}`]));
    try {
      const error: unknown = await backend.getValues(['/x']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BackendError);
      expect(String((error as Error).message)).toMatch(new RegExp(`^\\[etcd\\] cannot read /x at http://127\\.0\\.0\\.1:${port}: .*check that etcd is running`));
      expect((error as Error).message).not.toMatch(/undefined|\[object/);
    } finally {
      await backend.close();
    }
  });

  it('resyncs with a reset when etcd compacts past the watch while the consumer is stalled', async () => {
    const backend = createEtcdBackend(options(server.endpoints));
    await client.put('/cp/seed').value('0');
    let stalled = false;
    // A consumer that blocks the event loop while another process writes a lot and compacts: etcd cannot deliver,
    // parks our watcher as slow, and the compaction then removes the history it still needed.
    const writer = `
      const { Etcd3 } = require('etcd3');
      const client = new Etcd3({ hosts: ${JSON.stringify(server.endpoints)} });
      (async () => {
        const value = 'x'.repeat(2048);
        for (let i = 0; i < 800; i += 32) {
          await Promise.all(Array.from({ length: 32 }, (_, j) => client.put('/cp/bulk/k' + (i + j)).value(value + (i + j))));
        }
        await client.delete().key('/cp/seed');
        const { header } = await client.kv.range({ key: Buffer.from('/cp/seed') });
        await client.kv.compact({ revision: header.revision, physical: true });
        client.close();
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const onEvent = (e: WatchEvent): void => {
      if (e.kind === 'put' && e.key === '/cp/trigger' && !stalled) {
        stalled = true;
        execFileSync(process.execPath, ['-e', writer], { cwd: process.cwd(), stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
      }
    };
    await whileWatching(backend, ['/cp'], async ({ events }) => {
      await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'first reset');
      await client.put('/cp/trigger').value('go');
      await waitFor(() => events.filter((e) => e.kind === 'reset').length === 2, 20_000, 'reset after compaction');
      const resync = events.filter((e) => e.kind === 'reset')[1];
      expect(resync.kind === 'reset' && resync.values.size).toBe(801); // 800 bulk keys and the trigger
      expect(mirrorOf(events)).toEqual(await storeUnder(client, '/cp'));
      await client.put('/cp/after').value('still watching');
      await waitFor(() => mirrorOf(events)['/cp/after'] === 'still watching', 10_000, 'a put after the resync');
      expect(events.some((e) => e.kind === 'status')).toBe(false);
    }, { onEvent });
  });
});

describe('etcd backend: etcd killed and restarted under a running watch', () => {
  let server: EtcdServer;
  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('reports down and up once each, then resyncs so that no change is lost', async () => {
    const backend = createEtcdBackend(options(server.endpoints));
    let client = new Etcd3({ hosts: server.endpoints });
    try {
      await whileWatching(backend, ['/o'], async ({ events }) => {
        await client.put('/o/first').value('1');
        await waitFor(() => mirrorOf(events)['/o/first'] === '1', 10_000, 'first put');
        await client.put('/o/just-before-kill').value('2');
        await client.delete().key('/o/first');
        await server.members[0].kill();
        await waitFor(() => events.some((e) => e.kind === 'status'), 10_000, 'status down');
        const down = events.find((e) => e.kind === 'status');
        expect(down).toMatchObject({ kind: 'status', up: false });
        expect(down?.kind === 'status' && down.error?.message).toMatch(/^\[etcd\] .*http:\/\/127\.0\.0\.1:\d+/);

        await server.members[0].restart();
        client.close();
        client = new Etcd3({ hosts: server.endpoints });
        await client.put('/o/after-restart').value('3');
        await waitFor(() => mirrorOf(events)['/o/after-restart'] === '3', 15_000, 'put after restart');
        expect(mirrorOf(events)).toEqual(await storeUnder(client, '/o'));
        expect(mirrorOf(events)).toEqual({ '/o/after-restart': '3', '/o/just-before-kill': '2' });
        const statuses = events.filter((e) => e.kind === 'status').map((e) => e.kind === 'status' && e.up);
        expect(statuses).toEqual([false, true]);
        // The recovery is followed by a fresh snapshot.
        const upAt = events.findIndex((e) => e.kind === 'status' && e.up);
        expect(events[upAt + 1]?.kind).toBe('reset');
      });
    } finally {
      client.close();
    }
  });

  it('gives up after retryTimeout by rejecting the watch with a BackendError', async () => {
    const backend = createEtcdBackend(options(server.endpoints, { retryTimeout: 500 }));
    try {
      await whileWatching(backend, ['/o'], async ({ events, failure }) => {
        await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
        await server.members[0].kill();
        const error = await failure();
        expect(error).toBeInstanceOf(BackendError);
        expect(error.message).toMatch(/^\[etcd\] gave up on \/o: no answer from etcd for 500ms \(--backend-retry-timeout\)/);
        expect(events.filter((e) => e.kind === 'status')).toHaveLength(1);
      });
    } finally {
      await server.members[0].restart();
    }
  });
});
