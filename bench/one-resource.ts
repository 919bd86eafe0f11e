// One resource reading one key, against etcd and against Consul, for every build (bench/processes.ts `builds()`:
// this checkout, BENCH_BEFORE's, the executables in BENCH_SCALE_EXES), interleaved round by round, BENCH_ONE_ROUNDS
// rounds (5). Per build and round: the key is missing when the watcher starts, and its first put is timed to the
// file, from the put being sent (as the baselines are timed) and from its ack (the issue's "put ack → file"); then BENCH_ONE_MISSING (5) more times the key is deleted,
// the resource waits again, and the put is timed; then 20 puts of the present key (each past --wait-min) and the
// watcher's RSS 0.5 s after them. Baselines from the same run: the same scenario for a bare Node agent
// (bench/bare-agent.cjs: the store's plain client and the same safe write, nothing else), so the ratios show what
// keyplate adds; and put → the store's own client in the bench process sees it (no process wake-up, no write).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startConsul, type ConsulAgent } from '../test/servers/consul.js';
import { startEtcd } from '../test/servers/etcd.js';
import { median, tempDir } from './lib.js';
import { add, builds, env, type Build, type Figures, loadAverage, printFigures, rssAnonMiB, rssMiB, sleep, startWatch, stop, whenContent } from './processes.js';

const rounds = Number(process.env.BENCH_ONE_ROUNDS ?? 5);
const missingAgain = Number(process.env.BENCH_ONE_MISSING ?? 5);
const puts = 20;
const key = '/one/v';

/** The baseline: a bare Node agent doing the same safe write on each event, with the store's plain client. */
const bareAgent: Build = { name: 'bare agent', argv: [process.execPath, path.resolve('bench/bare-agent.cjs')] };

/** What the scenario needs from a store. */
interface Store {
  name: string;
  args: string[];
  put(key: string, value: string): Promise<void>;
  del(key: string): Promise<void>;
  /** One baseline sample: put → the store's own client sees it (ms). */
  baseline(i: number): Promise<number>;
  close(): Promise<void>;
}

function confdir(): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'templates'));
  mkdirSync(path.join(dir, 'out'));
  writeFileSync(path.join(dir, 'conf.d/one.toml'), `[template]\nsrc = "one.tmpl"\ndest = "out/one"\nkeys = ["${key}"]\n`);
  writeFileSync(path.join(dir, 'templates/one.tmpl'), `{{getv "${key}"}}\n`);
  return dir;
}

/** Resolves once the agent's log holds `count` lines containing `text`. */
async function logged(agent: { readonly log: string[] }, text: string, count: number): Promise<void> {
  const end = Date.now() + 30_000;
  while (agent.log.filter((l) => l.includes(text)).length < count) {
    if (Date.now() > end) throw new Error(`bench: no "${text}" in the log:\n${agent.log.join('\n')}`);
    await sleep(2);
  }
}

/** One put timed to the file: from the put being sent, and from its ack (the store's answer to the put). */
async function timedPut(store: Store, file: string, value: string): Promise<{ sent: number; ack: number }> {
  const seen = whenContent(file, (t) => t === `${value}\n`);
  const sent = performance.now();
  await store.put(key, value);
  const ack = performance.now();
  const at = await seen;
  return { sent: at - sent, ack: at - ack };
}

/** Adds a timed put's two figures: `<name>` (from sent) and `<name>, from the put's ack`. */
function addPut(f: Figures, name: string, t: { sent: number; ack: number }): void {
  add(f, name, t.sent);
  add(f, `${name}, from the put's ack`, t.ack);
}

async function oneBuild(b: Build, store: Store, round: number, f: Figures): Promise<void> {
  await store.del(key);
  const dir = confdir();
  const file = path.join(dir, 'out/one');
  const kp = startWatch(b, [...store.args, '--confdir', dir]);
  try {
    await logged(kp, `waiting for ${key}`, 1);
    await sleep(300);
    addPut(f, `${store.name}: missing key, first put → file`, await timedPut(store, file, `first-${round}`));
    for (let i = 0; i < missingAgain; i++) {
      await sleep(100);
      await store.del(key);
      await logged(kp, `waiting for ${key}`, i + 2);
      await sleep(100);
      addPut(f, `${store.name}: missing key again (after a delete), put → file`, await timedPut(store, file, `again-${round}-${i}`));
    }
    for (let i = 0; i < puts; i++) {
      await sleep(60); // past --wait-min: each put starts a quiet spell
      addPut(f, `${store.name}: key present, put → file`, await timedPut(store, file, `p-${round}-${i}`));
    }
    await sleep(500);
    add(f, `${store.name}: watch RSS 0.5 s after ${puts} puts (MiB)`, rssMiB(kp.child.pid!));
    add(f, `${store.name}: … of it anonymous (MiB)`, rssAnonMiB(kp.child.pid!));
  } finally {
    await stop(kp.child);
  }
}

async function etcdStore(): Promise<Store> {
  const etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoints });
  const watcher = await client.watch().key('/base/v').create();
  const store: Store = {
    name: 'etcd',
    args: ['--backend', 'etcd', '--node', etcd.endpoints[0]],
    put: async (k, v) => void (await client.put(k).value(v)),
    del: async (k) => void (await client.delete().key(k)),
    baseline: async (i) => {
      const seen = new Promise<number>((r) => watcher.once('put', () => r(performance.now())));
      const sent = performance.now();
      await client.put('/base/v').value(`b${i}`);
      return (await seen) - sent;
    },
    close: async () => {
      await watcher.cancel();
      client.close();
      await etcd.stop();
    },
  };
  return store;
}

function consulStore(consul: ConsulAgent): Store {
  const base = `http://${consul.address}/v1/kv`;
  return {
    name: 'Consul',
    args: ['--backend', 'consul', '--node', consul.address],
    put: (k, v) => consul.put(k, v),
    del: (k) => consul.del(k),
    baseline: async (i) => {
      // One blocking-query round trip: a waiting GET that returns when the PUT lands.
      const idx = (await fetch(`${base}/base/v`)).headers.get('x-consul-index') ?? '0';
      const waiting = fetch(`${base}/base/v?index=${idx}&wait=30s`);
      const sent = performance.now();
      await consul.put('/base/v', `b${i}`);
      await waiting;
      return performance.now() - sent;
    },
    close: () => consul.stop(),
  };
}

async function roundsOf(list: Build[], store: Store, figures: Map<string, Figures>, base: Figures, loads: string[]): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    loads.push(loadAverage());
    for (let i = 0; i < puts; i++) add(base, `${store.name}: put → the store's own client sees it (baseline)`, await store.baseline(i));
    for (const b of list) await oneBuild(b, store, round, figures.get(b.name)!);
  }
}

/** Runs the one-resource scenarios for every build against etcd, then Consul, and prints medians and ratios. */
export async function benchOneResource(list = [...builds(), bareAgent]): Promise<void> {
  const figures = new Map(list.map((b) => [b.name, {} as Figures]));
  const base: Figures = {};
  const loads: string[] = [];
  const etcd = await etcdStore();
  try {
    await roundsOf(list, etcd, figures, base, loads);
  } finally {
    await etcd.close();
  }
  const consul = consulStore(await startConsul());
  try {
    await roundsOf(list, consul, figures, base, loads);
  } finally {
    await consul.close();
  }
  console.log(`\n## one resource, one key (etcd, Consul), medians of ${rounds} rounds`);
  console.log(`load average at each round: ${loads.join(' | ')}`);
  printFigures(list, figures, base);
  console.log('\nratios to the bare agent (medians):');
  const bare = figures.get(bareAgent.name)!;
  for (const b of list.filter((b) => b !== bareAgent)) {
    const f = figures.get(b.name)!;
    console.log(`- ${b.name}: ${Object.keys(f).map((k) => `${k} ${(median(f[k]) / median(bare[k])).toFixed(2)}×`).join('; ')}`);
  }
}
