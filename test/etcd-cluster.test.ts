// The etcd backend against a real three-member cluster: losing the member listed first, then losing quorum.
import { Etcd3 } from 'etcd3';
import { describe, expect, it, vi } from 'vitest';
import { createEtcdBackend } from '../backends/etcd.js';
import { BackendError } from '../backends/types.js';
import { mirrorOf, useEtcdCluster, whileWatching } from './lifecycle.js';
import type { EtcdServer } from './servers/etcd.js';
import { waitFor } from './util.js';

/** The members with a follower first (etcd's maintenance status names the leader). */
async function followerFirst(cluster: EtcdServer): Promise<EtcdServer['members']> {
  const statuses = await Promise.all(
      cluster.members.map(async (m) => {
        const probe = new Etcd3({ hosts: [m.endpoint] });
        try {
          const status = await probe.maintenance.status();
          return { member: m, isLeader: status.leader === status.header.member_id };
        } finally {
          probe.close();
        }
      }),
    );
  return [...statuses.filter((s) => !s.isLeader), ...statuses.filter((s) => s.isLeader)].map((s) => s.member);
}

describe('etcd backend: three-member cluster', () => {
  const ctx = useEtcdCluster(3);

  it('keeps reading and watching, without reporting an outage, when the member listed first stops', async () => {
    // Stop a follower: stopping the leader forces an election, a real (short) outage the backend rightly reports.
    const [first, second, third] = await followerFirst(ctx.cluster);
    const writer = new Etcd3({ hosts: [second.endpoint, third.endpoint] });
    const backend = createEtcdBackend({ nodes: [first, second, third].map((m) => m.endpoint), envFiles: [], retryMin: 50, retryMax: 400 });
    // etcd3 picks a random member per call; with random() = 0 it picks the one listed first, so that is where
    // the watch's snapshot and stream go, and stopping it really breaks them.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      await whileWatching(backend, ['/c'], async ({ events }) => {
        await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
        await writer.put('/c/a').value('1');
        await waitFor(() => events.some((e) => e.kind === 'put'), 10_000, 'a put: the stream is up');
        random.mockRestore();

        await first.kill();
        for (let i = 0; i < 10; i++) expect(Object.fromEntries(await backend.getValues(['/c']))).toEqual({ '/c/a': '1' });
        await writer.put('/c/b').value('2');
        await writer.delete().key('/c/a');
        await waitFor(() => mirrorOf(events)['/c/b'] === '2' && !('/c/a' in mirrorOf(events)), 10_000, 'changes after the stop');
        expect(mirrorOf(events)).toEqual({ '/c/b': '2' });
        expect(events.filter((e) => e.kind === 'status')).toEqual([]);
        expect(events.filter((e) => e.kind === 'reset')).toHaveLength(1);
      });
    } finally {
      random.mockRestore();
      writer.close();
      if (!first.running) await first.restart();
    }
  });

  it('without a leader: reads fail, the watch reports down and emits no data until quorum is back', async () => {
    const [first, second, third] = ctx.cluster.members;
    // Only `third`, which stays up: its idle watch stream ends only because it asked etcd to require a leader.
    const backend = createEtcdBackend({ nodes: [third.endpoint], envFiles: [], retryMin: 50, retryMax: 400 });
    try {
      await whileWatching(backend, ['/c'], async ({ events }) => {
        await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
        await first.kill();
        await second.kill();
        // `third` alone is not a quorum: it drops its leader and must not serve reads or watches.
        const error: unknown = await backend.getValues(['/c']).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackendError);
        expect((error as Error).message).toMatch(/^\[etcd\] cannot read \/c at http:\/\/127\.0\.0\.1:\d+: no answer within 5000ms; check that a quorum/);
        await waitFor(() => events.some((e) => e.kind === 'status'), 15_000, 'status down');
        const downAt = events.findIndex((e) => e.kind === 'status');
        expect(events[downAt]).toMatchObject({ kind: 'status', up: false });

        await first.restart(); // with `third`, a quorum again: healthy once they have elected a leader
        const writer = new Etcd3({ hosts: [first.endpoint, third.endpoint] });
        try {
          await writer.put('/c/quorum').value('back');
          await waitFor(() => mirrorOf(events)['/c/quorum'] === 'back', 20_000, 'put after quorum is back');
        } finally {
          writer.close();
        }
        const afterDown = events.slice(downAt + 1);
        expect(afterDown[0]).toEqual({ kind: 'status', up: true });
        expect(afterDown[1]?.kind).toBe('reset');
        expect(events.filter((e) => e.kind === 'status')).toHaveLength(2);
      });
    } finally {
      for (const m of [first, second]) if (!m.running) await m.restart({ waitHealthy: false });
    }
  });
});


describe('etcd backend: the member holding the watch freezes', () => {
  const ctx = useEtcdCluster(3);

  // One retry: in one full run on a loaded machine (2026-11-30) the freeze met no watch at all (no status, the write
  // arrived at once): the stream was not on `first` when it froze. It passed alone every time after; the cause in
  // etcd3's member choice is not found yet. A freeze that does hit the watch must still pass every assertion below.
  it('notices within seconds, names the member, moves to another and resyncs: fresh within 5 s', { retry: 1 }, async () => {
    const [first, second, third] = await followerFirst(ctx.cluster);
    const writer = new Etcd3({ hosts: [second.endpoint, third.endpoint] });
    const backend = createEtcdBackend({ nodes: [first, second, third].map((m) => m.endpoint), envFiles: [] });
    const random = vi.spyOn(Math, 'random').mockReturnValue(0); // the snapshot and the stream go to `first`
    try {
      await whileWatching(backend, ['/fz'], async ({ events }) => {
        await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
        await writer.put('/fz/v').value('before');
        await waitFor(() => events.some((e) => e.kind === 'put' && e.value === 'before'), 10_000, 'a put event: the stream is up');
        random.mockRestore();

        first.freeze(); // SIGSTOP: its TCP connections stay open, nothing answers
        const frozenAt = Date.now();
        await writer.put('/fz/v').value('after');
        await waitFor(() => mirrorOf(events)['/fz/v'] === 'after', 10_000, 'the write made while the member is frozen');
        const freshMs = Date.now() - frozenAt;
        expect(freshMs).toBeLessThan(5_000);
        const statuses = events.filter((e) => e.kind === 'status');
        expect(statuses.map((e) => e.kind === 'status' && e.up)).toEqual([false, true]);
        const down = statuses[0];
        expect(down.kind === 'status' && down.error?.message).toBe(
          `[etcd] member ${first.endpoint} stopped answering (no reply to a progress request within 2000ms); moving the watch to another member`,
        );
        // Later changes keep coming from the member it moved to.
        await writer.put('/fz/v').value('later');
        await waitFor(() => mirrorOf(events)['/fz/v'] === 'later', 5_000, 'a later write');
        expect(events.filter((e) => e.kind === 'status')).toHaveLength(2);
      });
    } finally {
      random.mockRestore();
      first.thaw();
      writer.close();
    }
  });
});
