// Recovery after an outage: with the default backoff, a watch is fresh within 1 s of the store answering again
// (a cheap probe runs while it is down), and says so once at loss and once at recovery.
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { createConsulBackend } from '../backends/consul.js';
import { createEtcdBackend } from '../backends/etcd.js';
import type { Backend, WatchEvent } from '../backends/types.js';
import { mirrorOf, useConsul, useEtcd, whileWatching } from './lifecycle.js';
import { waitFor } from './util.js';

/** How long the store stays down: long enough for the old backoff (100 ms doubling to 10 s) to wait seconds between tries. */
const downMs = 6_000;

/**
 * Watch `/rc`, take the store down for `downMs` and bring it back (`restart` resolves once it answers), write a new
 * value at once, and return the time from the store answering to the watch holding that value.
 */
async function freshAfterRestart(
  backend: Backend,
  store: { kill(): Promise<void>; restart(): Promise<void>; put(key: string, value: string): Promise<void> },
): Promise<{ freshMs: number; events: WatchEvent[] }> {
  let result = { freshMs: NaN, events: [] as WatchEvent[] };
  await whileWatching(backend, ['/rc'], async ({ events }) => {
    await store.put('/rc/v', 'before');
    await waitFor(() => mirrorOf(events)['/rc/v'] === 'before', 10_000, 'first value');
    await store.kill();
    await waitFor(() => events.some((e) => e.kind === 'status'), 10_000, 'status down');
    await new Promise((r) => setTimeout(r, downMs));
    await store.restart();
    const answering = Date.now();
    await store.put('/rc/v', 'after');
    await waitFor(() => mirrorOf(events)['/rc/v'] === 'after', 15_000, 'the value written after the restart');
    result = { freshMs: Date.now() - answering, events };
  });
  return result;
}

function expectOneLossOneRecovery(events: WatchEvent[]): void {
  expect(events.filter((e) => e.kind === 'status').map((e) => e.kind === 'status' && e.up)).toEqual([false, true]);
}

describe('recovery: etcd killed, down 6 s, restarted', () => {
  const ctx = useEtcd();

  it('an idle watch is not taken for a silent member: progress requests are answered, nothing is reported', async () => {
    const backend = createEtcdBackend({ nodes: ctx.etcd.endpoints, envFiles: [] });
    await whileWatching(backend, ['/idle'], async ({ events }) => {
      await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
      await new Promise((r) => setTimeout(r, 5_000)); // several rounds of quiet → progress request → answer
      await ctx.client.put('/idle/v').value('still here');
      await waitFor(() => mirrorOf(events)['/idle/v'] === 'still here', 5_000, 'a put after the quiet');
      expect(events.map((e) => e.kind)).toEqual(['reset', 'put']);
    });
  });

  it('is fresh within 1 s of etcd answering again, with the default backoff', async () => {
    const [member] = ctx.etcd.members;
    const backend = createEtcdBackend({ nodes: ctx.etcd.endpoints, envFiles: [] });
    let writer = ctx.client;
    const { freshMs, events } = await freshAfterRestart(backend, {
      kill: () => member.kill(),
      restart: async () => {
        await member.restart();
        writer = new Etcd3({ hosts: ctx.etcd.endpoints }); // a client that never saw the outage
      },
      put: async (key, value) => void (await writer.put(key).value(value)),
    });
    if (writer !== ctx.client) writer.close();
    expect(freshMs).toBeLessThan(1_000);
    expectOneLossOneRecovery(events);
  });
});

for (const persistent of [true, false]) {
  describe(`recovery: Consul ${persistent ? '(persistent server)' : '-dev'} killed, down 6 s, restarted`, () => {
    const ctx = useConsul({ persistent });

    it('is fresh within 1 s of Consul having a leader again, with the default backoff', async () => {
      const backend = createConsulBackend({ nodes: [ctx.agent.address], envFiles: [], environment: {} });
      const agent = ctx.agent;
      const { freshMs, events } = await freshAfterRestart(backend, {
        kill: () => agent.kill(),
        restart: () => agent.restart(), // resolves once a leader is elected and the KV store answers
        put: (key, value) => agent.put(key, value),
      });
      expect(freshMs).toBeLessThan(1_000);
      expectOneLossOneRecovery(events);
    });
  });
}
