// Real servers for one describe block: started in beforeAll, stopped in afterAll; plus what a watch consumer holds.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll } from 'vitest';
import type { WatchEvent } from '../backends/types.js';
import { startEtcd, startEtcdCluster, type EtcdServer } from './servers/etcd.js';

/** A single etcd member and a client, for the tests of the enclosing describe block. */
export function useEtcd(): { etcd: EtcdServer; client: Etcd3 } {
  const ctx = {} as { etcd: EtcdServer; client: Etcd3 };
  beforeAll(async () => {
    ctx.etcd = await startEtcd();
    ctx.client = new Etcd3({ hosts: ctx.etcd.endpoints });
  });
  afterAll(async () => {
    ctx.client?.close();
    await ctx.etcd?.stop();
  });
  return ctx;
}

/** A three-member etcd cluster for the enclosing describe block. */
export function useEtcdCluster(size = 3): { cluster: EtcdServer } {
  const ctx = {} as { cluster: EtcdServer };
  beforeAll(async () => {
    ctx.cluster = await startEtcdCluster(size);
  });
  afterAll(async () => {
    await ctx.cluster?.stop();
  });
  return ctx;
}

/** The key/value state a consumer of these watch events would hold, sorted by key. */
export function mirrorOf(events: readonly WatchEvent[]): Record<string, string> {
  const state = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'reset') {
      state.clear();
      for (const [k, v] of e.values) state.set(k, v);
    } else if (e.kind === 'put') state.set(e.key, e.value);
    else if (e.kind === 'delete') state.delete(e.key);
  }
  return Object.fromEntries([...state].sort());
}
