// Real servers for one describe block (started in beforeAll, stopped in afterAll), and a backend's watch held
// for the length of a test, with what a watch consumer would make of its events.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Backend, WatchEvent } from '../backends/types.js';
import { waitFor } from './util.js';
import { countingProxy, startConsul, type ConsulAgent, type ConsulAgentOptions, type CountingProxy } from './servers/consul.js';
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

/**
 * A Consul agent for the enclosing describe block, with `seed` keys written and, with `proxy`, a counting proxy
 * in front of it. `options` may be a function, for options made in an outer beforeAll (TLS material).
 */
export function useConsul(
  options: ConsulAgentOptions | (() => ConsulAgentOptions) = {},
  { proxy = false, seed = {} }: { proxy?: boolean; seed?: Record<string, string> } = {},
): { agent: ConsulAgent; proxy: CountingProxy } {
  const ctx = {} as { agent: ConsulAgent; proxy: CountingProxy };
  beforeAll(async () => {
    ctx.agent = await startConsul(typeof options === 'function' ? options() : options);
    for (const [key, value] of Object.entries(seed)) await ctx.agent.put(key, value);
    if (proxy) ctx.proxy = await countingProxy(ctx.agent.address);
  });
  afterAll(async () => {
    await ctx.proxy?.close();
    await ctx.agent?.stop();
  });
  return ctx;
}

export interface Watching {
  /** Every event so far, in order. */
  readonly events: WatchEvent[];
  /** The error the watch gave up with; fails if it ends without one. A failure not asked for fails the test. */
  failure(): Promise<Error>;
}

/**
 * Run `body` while `backend` watches `prefixes` (`onEvent` also sees each event as it arrives). Whatever happens,
 * the watch is stopped and awaited and, unless `keepOpen`, the backend closed.
 */
export async function whileWatching(
  backend: Backend,
  prefixes: readonly string[],
  body: (watch: Watching) => Promise<void>,
  { onEvent, keepOpen = false }: { onEvent?: (event: WatchEvent) => void; keepOpen?: boolean } = {},
): Promise<void> {
  const events: WatchEvent[] = [];
  const controller = new AbortController();
  const done = backend.watch!(prefixes, {
    signal: controller.signal,
    onEvent: (event) => {
      events.push(event);
      onEvent?.(event);
    },
  });
  done.catch(() => undefined); // awaited below: not an unhandled rejection meanwhile
  let failureAsked = false;
  const failure = async (): Promise<Error> => {
    failureAsked = true;
    return done.then(
      () => {
        throw new Error('the watch ended without an error');
      },
      (error: unknown) => error as Error,
    );
  };
  try {
    await body({ events, failure });
  } finally {
    controller.abort();
    try {
      await done;
    } catch (error) {
      if (!failureAsked) throw error;
    }
    if (!keepOpen) await backend.close();
  }
}

/**
 * A watch of `/app` until its first reset (holding `expected`, when given), then the put `write` makes arriving
 * as an event, with no outage reported: how the TLS and auth tests show a backend watches through them.
 */
export async function watchSeesPut(backend: Backend, write: () => Promise<void>, [key, value]: [string, string], expected?: [string, string]): Promise<void> {
  await whileWatching(backend, ['/app'], async ({ events }) => {
    await waitFor(() => events.some((e) => e.kind === 'reset'), 10_000, 'reset');
    const reset = events.find((e) => e.kind === 'reset');
    if (expected && reset?.kind === 'reset') expect(reset.values.get(expected[0])).toBe(expected[1]);
    await write();
    await waitFor(() => events.some((e) => e.kind === 'put' && e.key === key && e.value === value), 10_000, `put ${key}`);
    expect(events.filter((e) => e.kind === 'status')).toEqual([]);
  });
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
