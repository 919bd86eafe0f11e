// One render, one moment of the store: a consumer of two prefixes, written together in each transaction, never
// holds a mix of two transactions at the end of a tick (the runner applies one tick's events, then renders).
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { createConsulBackend } from '../backends/consul.js';
import { createEtcdBackend } from '../backends/etcd.js';
import type { Backend, WatchEvent } from '../backends/types.js';
import { useConsul, useEtcd, whileWatching } from './lifecycle.js';
import { waitFor } from './util.js';

const a = '/moment/a/counter';
const b = '/moment/b/counter';

/**
 * A resource-shaped consumer of `/moment/a` and `/moment/b`: applies events to a mirror and, at the end of each
 * tick in which events arrived, records whether the two counters disagree.
 */
function tickChecker() {
  const mirror = new Map<string, string>();
  const mixed: string[] = [];
  let ticks = 0;
  let pending = false;
  const check = (): void => {
    pending = false;
    ticks++;
    if (mirror.get(a) !== mirror.get(b)) mixed.push(`${mirror.get(a)} / ${mirror.get(b)}`);
  };
  const onEvent = (e: WatchEvent): void => {
    if (e.kind === 'reset') {
      mirror.clear();
      for (const [k, v] of e.values) mirror.set(k, v);
    } else if (e.kind === 'put') mirror.set(e.key, e.value);
    else if (e.kind === 'delete') mirror.delete(e.key);
    else return;
    if (!pending) {
      pending = true;
      setImmediate(check);
    }
  };
  return { mirror, mixed, onEvent, ticks: () => ticks };
}

/** Run `body` while a consumer watches both prefixes; returns what it saw. */
async function watchBoth(backend: Backend, body: (seen: ReturnType<typeof tickChecker>, events: WatchEvent[]) => Promise<void>) {
  const seen = tickChecker();
  await whileWatching(backend, ['/moment/a', '/moment/b'], async ({ events }) => {
    await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
    await body(seen, events);
  }, { onEvent: seen.onEvent });
  return seen;
}

describe('etcd: events of one revision are emitted together', () => {
  const ctx = useEtcd();
  const txn = (client: Etcd3, n: number) => {
    const value = Buffer.from(String(n));
    return client.kv.txn({ success: [{ request_put: { key: Buffer.from(a), value } }, { request_put: { key: Buffer.from(b), value } }] });
  };

  it('never shows a consumer of two prefixes a mix of two transactions (2,000 transactions, 16 writers)', async () => {
    const backend = createEtcdBackend({ nodes: ctx.etcd.endpoints, envFiles: [] });
    const seen = await watchBoth(backend, async (seen) => {
      let n = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (n < 2000) await txn(ctx.client, ++n);
      }));
      const last = String(await ctx.client.get(a).string());
      await waitFor(() => seen.mirror.get(a) === last && seen.mirror.get(b) === last, 10_000, 'the last write');
    });
    expect(seen.ticks()).toBeGreaterThan(50);
    expect(seen.mixed).toEqual([]);
  });

  it('stays unmixed across a kill and restart of etcd while writers keep writing', async () => {
    const backend = createEtcdBackend({ nodes: ctx.etcd.endpoints, envFiles: [], retryMin: 50, retryMax: 400 });
    const [member] = ctx.etcd.members;
    const seen = await watchBoth(backend, async (seen, events) => {
      let n = 10_000;
      let writing = true;
      const writer = new Etcd3({ hosts: ctx.etcd.endpoints });
      const writers = Promise.all(Array.from({ length: 8 }, async () => {
        while (writing) await txn(writer, ++n).catch(() => new Promise((r) => setTimeout(r, 20)));
      }));
      try {
        for (let round = 0; round < 3; round++) {
          await new Promise((r) => setTimeout(r, 300));
          await member.kill();
          await waitFor(() => events.filter((e) => e.kind === 'status').length === 2 * round + 1, 10_000, 'status down');
          await member.restart();
          await waitFor(() => events.filter((e) => e.kind === 'status').length === 2 * round + 2, 10_000, 'status up');
        }
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        writing = false;
        await writers;
        writer.close();
      }
      const last = String(await ctx.client.get(a).string());
      await waitFor(() => seen.mirror.get(a) === last && seen.mirror.get(b) === last, 10_000, 'the last write');
    });
    expect(seen.mixed).toEqual([]);
  });
});

describe('consul: several prefixes are watched at one index', () => {
  const ctx = useConsul();

  it('never shows a consumer of two prefixes a mix of two transactions (300 transactions)', async () => {
    const backend = createConsulBackend({ nodes: [ctx.agent.address], envFiles: [], environment: {} });
    const base = `http://${ctx.agent.address}/v1/txn`;
    const txn = async (n: number) => {
      const value = Buffer.from(String(n)).toString('base64');
      const ops = [a, b].map((key) => ({ KV: { Verb: 'set', Key: key.slice(1), Value: value } }));
      const reply = await fetch(base, { method: 'PUT', body: JSON.stringify(ops) });
      if (!reply.ok) throw new Error(`txn: HTTP ${reply.status}`);
    };
    await txn(0);
    const seen = await watchBoth(backend, async (seen) => {
      for (let n = 1; n <= 300; n++) {
        await txn(n);
        if (n % 3 === 0) await new Promise((r) => setTimeout(r, 2)); // let some wake-ups land between writes
      }
      await waitFor(() => seen.mirror.get(a) === '300' && seen.mirror.get(b) === '300', 10_000, 'the last write');
    });
    expect(seen.ticks()).toBeGreaterThan(20);
    expect(seen.mixed).toEqual([]);
  });
});
