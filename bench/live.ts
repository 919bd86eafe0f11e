// Live benches against real etcd and Consul: change latency, scale, storm, idle. Baselines come from the same run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startConsul } from '../test/servers/consul.js';
import { startEtcd } from '../test/servers/etcd.js';
import { createConsulBackend } from '../backends/consul.js';
import { createEtcdBackend } from '../backends/etcd.js';
import { cli, median, percentile, tempDir } from './lib.js';
import { benchRecovery } from './recovery.js';

const samples = Number(process.env.BENCH_SAMPLES ?? 200);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);

const ticksPerSecond = 100; // USER_HZ on Linux
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function startKeyplate(args: string[], cwd: string): { child: ChildProcess; log: string[] } {
  const child = spawn(process.execPath, [cli, ...args, '--log-format', 'json', '--log-level', 'debug'], { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  const log: string[] = [];
  let buf = '';
  child.stderr!.on('data', (c) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    log.push(...parts);
  });
  return { child, log };
}

async function until(cond: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('bench: timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resolves when `file` holds `content`, checked on every inotify event in its directory. */
function whenContent(file: string, content: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      try {
        return readFileSync(file, 'utf8') === content;
      } catch {
        return false;
      }
    };
    if (check()) return resolve();
    const w = watch(path.dirname(file), () => {
      if (check()) {
        w.close();
        resolve();
      }
    });
  });
}

function oneResourceConfdir(key: string): string {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'templates'));
  mkdirSync(path.join(dir, 'out'));
  writeFileSync(path.join(dir, 'conf.d/lat.toml'), `[template]\nsrc = "lat.tmpl"\ndest = "out/lat"\nkeys = ["${key}"]\nreload_cmd = "echo r >> reloads.log"\n`);
  writeFileSync(path.join(dir, 'templates/lat.tmpl'), `{{getv "${key}"}}\n`);
  return dir;
}

function report(title: string, rows: Array<[string, string]>): void {
  console.log(`\n## ${title}`);
  for (const [k, v] of rows) console.log(`- ${k}: ${v}`);
}

async function latency(name: string, put: (v: string) => Promise<void>, args: string[], baseline: (v: string) => Promise<number>): Promise<void> {
  const dir = oneResourceConfdir('/lat/v');
  await put('init');
  const kp = startKeyplate([...args, '--confdir', dir], dir);
  const file = path.join(dir, 'out/lat');
  await whenContent(file, 'init\n');
  const ours: number[] = [];
  for (let i = 0; i < samples; i++) {
    const v = `v${i}`;
    const seen = whenContent(file, `${v}\n`);
    const t = performance.now();
    await put(v);
    await seen;
    ours.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 60)); // past --wait-min: each change starts a quiet spell
  }
  kp.child.kill('SIGTERM');
  const base: number[] = [];
  for (let i = 0; i < Math.min(samples, 100); i++) base.push(await baseline(`b${i}`));
  report(`${name}: change latency (put → new file on disk), ${samples} samples`, [
    ['keyplate p50 / p99', `${median(ours).toFixed(2)} ms / ${percentile(ours, 99).toFixed(2)} ms`],
    ['baseline (same put → the raw client sees the change) p50', `${median(base).toFixed(2)} ms`],
    ['ratio of p50s', `${(median(ours) / median(base)).toFixed(2)}x`],
  ]);
}

async function scaleAndStorm(etcd: { endpoints: string[] }, client: Etcd3): Promise<void> {
  // 10,000 keys under 200 resources (50 each), one watch on /scale.
  const dir = tempDir();
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'templates'));
  mkdirSync(path.join(dir, 'out'));
  writeFileSync(path.join(dir, 'templates/r.tmpl'), '{{#each (gets "/*")}}{{key}}={{value}}\n{{/each}}');
  const puts: PromiseLike<unknown>[] = [];
  for (let r = 0; r < 200; r++) {
    writeFileSync(path.join(dir, `conf.d/r${r}.toml`), `[template]\nsrc = "r.tmpl"\ndest = "out/r${r}.conf"\nprefix = "/scale/r${r}"\nkeys = ["/"]\n`);
    for (let k = 0; k < 50; k++) puts.push(client.put(`/scale/r${r}/k${k}`).value(`v${k}`).exec());
    if (puts.length > 500) await Promise.all(puts.splice(0));
  }
  await Promise.all(puts);
  const t0 = performance.now();
  const kp = startKeyplate(['--backend', 'etcd', '--node', etcd.endpoints[0], '--confdir', dir], dir);
  await until(() => existsSync(path.join(dir, 'out/r199.conf')) && kp.log.filter((l) => l.includes('"updated ')).length >= 200);
  const first = performance.now() - t0;
  const pid = kp.child.pid!;
  await new Promise((r) => setTimeout(r, 500));
  const renderedBefore = kp.log.filter((l) => l.includes('"rendered in')).length;
  const cpu0 = cpuMs(pid);
  const tc = performance.now();
  const changed = whenContent(path.join(dir, 'out/r7.conf'), readFileSync(path.join(dir, 'out/r7.conf'), 'utf8').replace('/k3=v3', '/k3=changed'));
  await client.put('/scale/r7/k3').value('changed');
  await changed;
  const changeMs = performance.now() - tc;
  await new Promise((r) => setTimeout(r, 300));
  const rendersPerChange = kp.log.filter((l) => l.includes('"rendered in')).length - renderedBefore;
  const cpuChange = cpuMs(pid) - cpu0;
  report('scale: 10,000 keys under 200 resources (etcd)', [
    ['first render of all 200 (process start → last file)', `${first.toFixed(0)} ms`],
    ['one-key change → file', `${changeMs.toFixed(1)} ms`],
    ['renders caused by the one-key change', `${rendersPerChange} (target: 1)`],
    ['CPU time for the change (±10 ms tick)', `${cpuChange.toFixed(0)} ms`],
    ['RSS after first render', `${rssMiB(pid).toFixed(1)} MiB`],
  ]);

  // Idle: the same 200 resources, watching, nothing changing.
  const idleCpu0 = cpuMs(pid);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const idleCpu = cpuMs(pid) - idleCpu0;
  report(`idle: ${idleSeconds} s watching 200 resources`, [
    ['CPU', `${idleCpu.toFixed(0)} ms (${((idleCpu / (idleSeconds * 1000)) * 100).toFixed(3)}% of one core)`],
    ['RSS', `${rssMiB(pid).toFixed(1)} MiB`],
  ]);
  kp.child.kill('SIGTERM');

  // Storm: 2,000 puts to one key in about 2 seconds.
  const sdir = oneResourceConfdir('/storm/v');
  await client.put('/storm/v').value('start');
  const skp = startKeyplate(['--backend', 'etcd', '--node', etcd.endpoints[0], '--confdir', sdir], sdir);
  await whenContent(path.join(sdir, 'out/lat'), 'start\n');
  const writesBefore = skp.log.filter((l) => l.includes('"updated ')).length;
  const ts = performance.now();
  for (let i = 0; i < 2000; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => client.put('/storm/v').value(`s${i + j}`)));
    const due = ts + ((i + 20) / 2000) * 2000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await client.put('/storm/v').value('last');
  const stormMs = performance.now() - ts;
  await whenContent(path.join(sdir, 'out/lat'), 'last\n');
  await new Promise((r) => setTimeout(r, 1500));
  const writes = skp.log.filter((l) => l.includes('"updated ')).length - writesBefore;
  const reloads = readFileSync(path.join(sdir, 'reloads.log'), 'utf8').split('\n').filter(Boolean).length - 1;
  skp.child.kill('SIGTERM');
  report('storm: 2,001 puts to one key', [
    ['duration of the storm', `${stormMs.toFixed(0)} ms`],
    ['writes / reloads', `${writes} / ${reloads}`],
    ['last value on disk', readFileSync(path.join(sdir, 'out/lat'), 'utf8').trim()],
  ]);
}

export async function benchLive(): Promise<void> {
  // BENCH_RECOVERY_ONLY=1: only the outage and freeze scenarios (about 5 minutes).
  if (process.env.BENCH_RECOVERY_ONLY) return benchRecovery([{ name: 'keyplate', etcd: createEtcdBackend, consul: createConsulBackend }]);
  const etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    const watcher = await client.watch().key('/base/v').create();
    let resolveSeen: ((v: string) => void) | undefined;
    watcher.on('put', (kv) => resolveSeen?.(kv.value.toString()));
    await latency(
      'etcd',
      async (v) => void (await client.put('/lat/v').value(v)),
      ['--backend', 'etcd', '--node', etcd.endpoints[0]],
      async (v) => {
        const seen = new Promise<string>((r) => (resolveSeen = r));
        const t = performance.now();
        await client.put('/base/v').value(v);
        await seen;
        return performance.now() - t;
      },
    );
    await watcher.cancel();
    // BENCH_LATENCY_ONLY=1 skips scale, idle and storm (they take over a minute).
    if (!process.env.BENCH_LATENCY_ONLY) await scaleAndStorm(etcd, client);
  } finally {
    client.close();
    await etcd.stop();
  }

  const consul = await startConsul();
  try {
    const base = `http://${consul.address}/v1/kv`;
    await latency(
      'Consul',
      (v) => consul.put('/lat/v', v),
      ['--backend', 'consul', '--node', consul.address],
      async (v) => {
        // One blocking-query round trip: a waiting GET that returns when the PUT lands.
        const idx = (await fetch(`${base}/base/v`)).headers.get('x-consul-index') ?? '0';
        const waiting = fetch(`${base}/base/v?index=${idx}&wait=30s`);
        const t = performance.now();
        await consul.put('/base/v', v);
        await waiting;
        return performance.now() - t;
      },
    );
  } finally {
    await consul.stop();
  }
  await benchRecovery([{ name: 'keyplate', etcd: createEtcdBackend, consul: createConsulBackend }]);
}
