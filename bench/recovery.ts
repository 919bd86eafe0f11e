// Recovery benches at the backend level: a store killed, down 6 s, restarted (etcd, Consul persistent and -dev),
// and the etcd member holding the watch frozen. Each round measures, against a bare client in the same run, the
// time from the store answering again (the bare client's first successful write of the new value) to the watch
// holding that value, and to its first reset after the outage. Medians of BENCH_RECOVERY_ROUNDS (5).
import { Etcd3 } from 'etcd3';
import type { Backend, BackendOptions, WatchEvent } from '../backends/types.js';
import { startConsul, type ConsulAgent } from '../test/servers/consul.js';
import { startEtcd, startEtcdCluster, type EtcdServer } from '../test/servers/etcd.js';
import { median } from './lib.js';

/** A version of the backends to measure (the current one; a `before` one from an older checkout, when given). */
export interface Variant {
  name: string;
  etcd: (options: BackendOptions) => Backend;
  consul: (options: BackendOptions) => Backend;
}

const rounds = Number(process.env.BENCH_RECOVERY_ROUNDS ?? 5);
const downMs = Number(process.env.BENCH_DOWN_MS ?? 6_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A watch of `/rec` whose mirror and event times are kept. */
function watchRec(backend: Backend) {
  const mirror = new Map<string, string>();
  const resets: number[] = [];
  const statuses: boolean[] = [];
  const controller = new AbortController();
  const done = backend.watch!(['/rec'], {
    signal: controller.signal,
    onEvent: (e: WatchEvent) => {
      if (e.kind === 'reset') {
        resets.push(performance.now());
        mirror.clear();
        for (const [k, v] of e.values) mirror.set(k, v);
      } else if (e.kind === 'put') mirror.set(e.key, e.value);
      else if (e.kind === 'delete') mirror.delete(e.key);
      else {
        statuses.push(e.up);
        if (process.env.BENCH_DEBUG) console.log(performance.now().toFixed(0), e.up, e.error?.message);
      }
    },
  }).catch((error: unknown) => console.error(`bench: watch failed: ${String(error)}`));
  return {
    mirror,
    resets,
    statuses,
    stop: async () => {
      controller.abort();
      await done;
      await backend.close();
    },
  };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(2);
  }
  return performance.now();
}

/** Retry `write` every 10 ms until it succeeds; the time it did. */
async function firstSuccess(write: () => Promise<void>): Promise<number> {
  for (;;) {
    try {
      await write();
      return performance.now();
    } catch {
      await sleep(10);
    }
  }
}

interface Round {
  /** Store process started → bare client's first successful write. */
  answerMs: number;
  /** Store answering → the watch holds the new value. */
  freshMs: number;
  /** Store answering → the watch's first reset after the outage (negative: it came before the write). */
  resetMs: number;
}

/** One kill / down / restart round against a running watch. */
async function outageRound(
  w: ReturnType<typeof watchRec>,
  n: number,
  store: { kill(): Promise<void>; start(): Promise<void>; write(value: string): Promise<void> },
): Promise<Round> {
  const before = `r${n}-before`;
  const after = `r${n}-after`;
  await firstSuccess(() => store.write(before));
  await until(() => w.mirror.get('/rec/v') === before, 20_000, 'the value before the kill');
  const resetsBefore = w.resets.length;
  await store.kill();
  await sleep(downMs);
  const spawned = performance.now();
  const starting = store.start();
  const answered = await firstSuccess(() => store.write(after));
  const fresh = await until(() => w.mirror.get('/rec/v') === after, 60_000, 'the value after the restart');
  await until(() => w.resets.length > resetsBefore, 60_000, 'a reset after the restart');
  await starting;
  return { answerMs: answered - spawned, freshMs: fresh - answered, resetMs: w.resets[resetsBefore] - answered };
}

function summary(title: string, results: Map<string, Round[]>): void {
  console.log(`\n## ${title} (median of ${rounds})`);
  for (const [name, rs] of results) {
    const f = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
    console.log(`- ${name}: store answering → watch fresh ${f(rs.map((r) => r.freshMs))}; → first reset ${f(rs.map((r) => r.resetMs))}`);
  }
  const all = [...results.values()].flat();
  console.log(`- baseline: restart → a bare client's first successful write ${median(all.map((r) => r.answerMs)).toFixed(0)} ms`);
}

async function etcdOutage(variants: Variant[]): Promise<void> {
  const etcd: EtcdServer = await startEtcd();
  const [member] = etcd.members;
  const results = new Map<string, Round[]>(variants.map((v) => [v.name, []]));
  try {
    for (let n = 0; n < rounds; n++) {
      for (const v of variants) {
        const w = watchRec(v.etcd({ nodes: etcd.endpoints, envFiles: [] }));
        const write = async (value: string) => {
          const client = new Etcd3({ hosts: etcd.endpoints }); // fresh each try: no breaker or backoff state
          try {
            await client.put('/rec/v').value(value);
          } finally {
            client.close();
          }
        };
        results.get(v.name)!.push(await outageRound(w, n, { kill: () => member.kill(), start: () => member.restart(), write }));
        await w.stop();
      }
    }
  } finally {
    await etcd.stop();
  }
  summary(`etcd killed, down ${downMs / 1000} s, restarted`, results);
}

async function consulOutage(variants: Variant[], persistent: boolean): Promise<void> {
  const agent: ConsulAgent = await startConsul({ persistent });
  const results = new Map<string, Round[]>(variants.map((v) => [v.name, []]));
  const write = async (value: string) => {
    const reply = await fetch(`http://${agent.address}/v1/kv/rec/v`, { method: 'PUT', body: value, signal: AbortSignal.timeout(1_000) });
    if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
  };
  try {
    for (let n = 0; n < rounds; n++) {
      for (const v of variants) {
        const w = watchRec(v.consul({ nodes: [agent.address], envFiles: [], environment: {} }));
        // restart() kills nothing here (already killed) and resolves once a leader answers KV reads.
        results.get(v.name)!.push(await outageRound(w, n, { kill: () => agent.kill(), start: () => agent.restart(), write }));
        await w.stop();
      }
    }
  } finally {
    await agent.stop();
  }
  summary(`Consul ${persistent ? '(persistent server)' : '-dev'} killed, down ${downMs / 1000} s, restarted`, results);
}

/** The member holding the watch (the first listed, with a follower first) is frozen: SIGSTOP → fresh value. */
async function etcdFreeze(variants: Variant[]): Promise<void> {
  const cluster = await startEtcdCluster(3);
  const results = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  try {
    for (let n = 0; n < rounds; n++) {
      for (const v of variants) {
        // The leader last, so that the frozen member is a follower; with Math.random() = 0 etcd3 picks the first.
        const isLeader = await Promise.all(cluster.members.map(async (m) => {
          const probe = new Etcd3({ hosts: [m.endpoint] });
          try {
            const status = await probe.maintenance.status();
            return status.header.member_id === status.leader;
          } finally {
            probe.close();
          }
        }));
        const order = [...cluster.members.filter((_, i) => !isLeader[i]), ...cluster.members.filter((_, i) => isLeader[i])];
        const writer = new Etcd3({ hosts: order.slice(1).map((m) => m.endpoint) }); // never the member to be frozen
        const random = Math.random;
        Math.random = () => 0;
        const w = watchRec(v.etcd({ nodes: order.map((m) => m.endpoint), envFiles: [] }));
        const before = `f${n}-before`;
        await writer.put('/rec/v').value(before);
        await until(() => w.mirror.get('/rec/v') === before, 20_000, 'the value before the freeze');
        Math.random = random;
        order[0].freeze();
        const frozen = performance.now();
        if (process.env.BENCH_DEBUG) console.log(frozen.toFixed(0), 'froze', order[0].endpoint);
        const after = `f${n}-after`;
        await writer.put('/rec/v').value(after);
        const fresh = await until(() => w.mirror.get('/rec/v') === after, 120_000, 'the value after the freeze');
        results.get(v.name)!.push(fresh - frozen);
        order[0].thaw();
        writer.close();
        await w.stop();
        await sleep(500);
      }
    }
  } finally {
    await cluster.stop();
  }
  console.log(`\n## etcd cluster: the member holding the watch frozen (SIGSTOP) → the new value in the watch (median of ${rounds})`);
  for (const [name, xs] of results) console.log(`- ${name}: ${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`);
}

/** All recovery scenarios, each variant measured round by round, interleaved. BENCH_RECOVERY=etcd,consul,freeze picks some. */
export async function benchRecovery(variants: Variant[]): Promise<void> {
  const only = new Set((process.env.BENCH_RECOVERY ?? 'etcd,consul,freeze').split(','));
  if (only.has('etcd')) await etcdOutage(variants);
  if (only.has('consul')) {
    await consulOutage(variants, true);
    await consulOutage(variants, false);
  }
  if (only.has('freeze')) await etcdFreeze(variants);
}
