// The issue's per-resource shape, for one or more builds of keyplate in the same run: 10,000 keys under 200
// per-resource prefixes in a real etcd, 200 resources each with its own prefix and template. Per build,
// interleaved, BENCH_SCALE_ROUNDS rounds (5): `--onetime` wall, peak RSS and CPU (files absent, so all 200 are
// written with fsync); watch mode's first render, one-key changes (put sent → file, as the raw watch baseline is timed: an ack and an event race on loopback; agent CPU until idle) and RSS;
// a 2,000-put storm (writes, reloads, last value's delay from its put, RSS after). Baselines from the same
// run: `node -e 0`, a bare etcd3 read of the same keys as a process, and a raw watch event (put → watcher).
// BENCH_BEFORE=<dir of another checkout, built> adds that build as "before" (README "Benchmarks").
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { startEtcd } from '../test/servers/etcd.js';
import { median, tempDir } from './lib.js';
import { add, builds, cpuMs, env, type Build, type Figures, loadAverage, printFigures, rssAnonMiB, rssMiB, sleep, startWatch, stop, whenContent } from './processes.js';

const rounds = Number(process.env.BENCH_SCALE_ROUNDS ?? 5);
const changes = Number(process.env.BENCH_SCALE_CHANGES ?? 20);

/** Wall (ms), peak RSS (MiB) and CPU (user + system, ms) of one process run, by GNU time. */
function measured(argv: string[], extraEnv: NodeJS.ProcessEnv = {}): { ms: number; rss: number; cpu: number } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', ...argv], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`bench: ${argv.join(' ')} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const [kb, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { ms, rss: kb / 1024, cpu: (user + sys) * 1000 };
}

async function confdir(client: Etcd3): Promise<string> {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'templates'));
  const puts: PromiseLike<unknown>[] = [];
  for (let r = 0; r < 200; r++) {
    writeFileSync(path.join(dir, `templates/r${r}.tmpl`), `# resource ${r}\n{{#each (gets "/*")}}{{key}}={{value}}\n{{/each}}`);
    writeFileSync(path.join(dir, `conf.d/r${r}.toml`), `[template]\nsrc = "r${r}.tmpl"\ndest = "out/r${r}.conf"\nprefix = "/scale/r${r}"\nkeys = ["/"]\n`);
    for (let k = 0; k < 50; k++) puts.push(client.put(`/scale/r${r}/k${k}`).value(`value-${r}-${k}`).exec());
    if (puts.length > 500) await Promise.all(puts.splice(0));
  }
  await Promise.all(puts);
  return dir;
}

async function onetime(b: Build, dir: string, endpoint: string, f: Figures): Promise<void> {
  rmSync(path.join(dir, 'out'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'out'));
  const argv = [...b.argv, '--onetime', '--backend', 'etcd', '--node', endpoint, '--confdir', dir, '--log-level', 'warn'];
  const r = measured(argv);
  add(f, 'onetime wall', r.ms);
  add(f, 'onetime peak RSS', r.rss);
  add(f, 'onetime CPU', r.cpu);
  // Again with every file up to date: the same reads and renders without 200 safe writes (fsync is the disk's).
  const again = measured(argv);
  add(f, 'onetime wall, files up to date', again.ms);
  add(f, 'onetime CPU, files up to date', again.cpu);
}

async function watchMode(b: Build, dir: string, endpoint: string, client: Etcd3, round: number, f: Figures): Promise<void> {
  rmSync(path.join(dir, 'out'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'out'));
  const t0 = performance.now();
  const kp = startWatch(b, ['--backend', 'etcd', '--node', endpoint, '--confdir', dir]);
  const pid = kp.child.pid!;
  try {
    while (!(existsSync(path.join(dir, 'out/r199.conf')) && kp.log.filter((l) => l.includes('updated ')).length >= 200)) {
      if (kp.child.exitCode !== null) throw new Error(`bench: keyplate exited:\n${kp.log.join('\n')}`);
      await sleep(2);
    }
    add(f, 'watch first render', performance.now() - t0);
    await sleep(500);
    add(f, 'watch RSS after first render', rssMiB(pid));
    add(f, 'watch RSS after first render: anonymous', rssAnonMiB(pid));
    // Idle CPU over the same window as a change, so that a change's own CPU can be told from timers.
    const idle0 = cpuMs(pid);
    await sleep(500);
    const idle = cpuMs(pid) - idle0;
    for (let i = 0; i < changes; i++) {
      const r = (i * 37) % 200;
      const value = `changed-${b.name}-${round}-${i}`;
      const file = path.join(dir, `out/r${r}.conf`);
      const seen = whenContent(file, (t) => t.includes(`/k3=${value}\n`));
      const c0 = cpuMs(pid);
      const sent = performance.now();
      await client.put(`/scale/r${r}/k3`).value(value);
      add(f, 'change: put → file', (await seen) - sent);
      await sleep(500);
      add(f, 'change: agent CPU in the 500 ms after the put, less idle', cpuMs(pid) - c0 - idle);
    }
    add(f, 'idle CPU per 500 ms', idle);
    add(f, 'watch RSS after the changes', rssMiB(pid));
  } finally {
    await stop(kp.child);
  }
}

async function storm(b: Build, endpoint: string, client: Etcd3, f: Figures): Promise<void> {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'templates'));
  mkdirSync(path.join(dir, 'out'));
  writeFileSync(path.join(dir, 'conf.d/s.toml'), `[template]\nsrc = "s.tmpl"\ndest = "out/s"\nkeys = ["/storm/v"]\nreload_cmd = "echo r >> ${dir}/reloads.log"\n`);
  writeFileSync(path.join(dir, 'templates/s.tmpl'), '{{getv "/storm/v"}}\n');
  await client.put('/storm/v').value('start');
  const kp = startWatch(b, ['--backend', 'etcd', '--node', endpoint, '--confdir', dir]);
  try {
    const file = path.join(dir, 'out/s');
    await whenContent(file, (t) => t === 'start\n');
    const writes0 = kp.log.filter((l) => l.includes('updated ')).length;
    const ts = performance.now();
    for (let i = 0; i < 2000; i += 20) {
      await Promise.all(Array.from({ length: 20 }, (_, j) => client.put('/storm/v').value(`s${i + j}`)));
      const wait = ts + i + 20 - performance.now(); // 2,000 puts in about 2 s
      if (wait > 0) await sleep(wait);
    }
    const seen = whenContent(file, (t) => t === 'last\n');
    const sent = performance.now();
    await client.put('/storm/v').value('last');
    add(f, 'storm: last put → file', (await seen) - sent);
    await sleep(1500);
    add(f, 'storm: writes', kp.log.filter((l) => l.includes('updated ')).length - writes0);
    add(f, 'storm: reloads', readFileSync(path.join(dir, 'reloads.log'), 'utf8').split('\n').filter(Boolean).length - 1);
    add(f, 'storm: RSS after', rssMiB(kp.child.pid!));
    add(f, 'storm: RSS after: anonymous', rssAnonMiB(kp.child.pid!));
  } finally {
    await stop(kp.child);
  }
}

/** Put → a raw etcd3 watcher sees it (ms): what any watching client pays before keyplate's own work starts. */
async function rawWatch(client: Etcd3, f: Figures): Promise<void> {
  const watcher = await client.watch().key('/base/v').create();
  try {
    for (let i = 0; i < changes; i++) {
      const seen = new Promise<number>((r) => watcher.once('put', () => r(performance.now())));
      const sent = performance.now();
      await client.put('/base/v').value(`b${i}`);
      add(f, 'raw watch event: put → watcher (baseline)', (await seen) - sent);
    }
  } finally {
    await watcher.cancel();
  }
}

function baselines(endpoint: string, f: Figures): void {
  add(f, '`node -e 0` wall (baseline)', measured([process.execPath, '-e', '0']).ms);
  // The same 10,000 keys in one range read, by etcd3 in a fresh process: Node, gRPC and the read, no keyplate.
  const read = `const {Etcd3}=require('etcd3');const c=new Etcd3({hosts:'${endpoint}'});c.getAll().prefix('/scale/').strings().then(r=>{if(Object.keys(r).length!==10000)process.exit(3);c.close()})`;
  const r = measured([process.execPath, '-e', read], { NODE_PATH: path.join(process.cwd(), 'node_modules') });
  add(f, 'bare etcd3 read of the 10,000 keys, wall (baseline)', r.ms);
  add(f, 'bare etcd3 read: peak RSS (baseline)', r.rss);
  add(f, 'bare etcd3 read: CPU (baseline)', r.cpu);
}

/** Runs the scenarios for every build, interleaved round by round, and prints medians and ratios. */
export async function benchScale(list = builds()): Promise<void> {
  const etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoints });
  const endpoint = etcd.endpoints[0];
  const figures = new Map(list.map((b) => [b.name, {} as Figures]));
  const base: Figures = {};
  const loads: string[] = [];
  try {
    const dir = await confdir(client);
    for (let round = 0; round < rounds; round++) {
      loads.push(loadAverage());
      baselines(endpoint, base);
      await rawWatch(client, base);
      for (const b of list) await onetime(b, dir, endpoint, figures.get(b.name)!);
      for (const b of list) await watchMode(b, dir, endpoint, client, round, figures.get(b.name)!);
      for (const b of list) await storm(b, endpoint, client, figures.get(b.name)!);
    }
  } finally {
    client.close();
    await etcd.stop();
  }
  console.log(`\n## scale: 10,000 keys, 200 resources with a prefix and template each (etcd), medians of ${rounds} rounds`);
  console.log(`load average at each round: ${loads.join(' | ')}`);
  printFigures(list, figures, base);
  const ratio = (b: Build, key: string, baseKey: string): string => (median(figures.get(b.name)![key]) / median(base[baseKey])).toFixed(2) + '×';
  console.log('\nratios (medians):');
  for (const b of list) {
    console.log(`- ${b.name}: onetime wall ${ratio(b, 'onetime wall', 'bare etcd3 read of the 10,000 keys, wall (baseline)')} the bare read, ${ratio(b, 'onetime wall', '`node -e 0` wall (baseline)')} node -e 0; ` +
      `onetime CPU ${ratio(b, 'onetime CPU', 'bare etcd3 read: CPU (baseline)')} the bare read's; peak RSS ${ratio(b, 'onetime peak RSS', 'bare etcd3 read: peak RSS (baseline)')}; ` +
      `first render ${ratio(b, 'watch first render', 'bare etcd3 read of the 10,000 keys, wall (baseline)')} the bare read; change latency ${ratio(b, 'change: put → file', 'raw watch event: put → watcher (baseline)')} a raw watch event`);
  }
}
