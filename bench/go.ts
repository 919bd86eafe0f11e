// `npm run bench -- go`: confd's Go templates against keyplate's Handlebars. Start time of `keyplate --onetime` for
// 100 resources (one shared template, and a template each) in each language, against `node -e 0`, interleaved, as
// medians; then the two engines' compile and render times in one process (bench/go-template.ts).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchGoTemplate } from './go-template.js';
import { cli, generateConfdir, median, timeRun } from './lib.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 15);

export function benchGo(): void {
  const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  const start = (name: string, confdir: ReturnType<typeof generateConfdir>) => ({
    name,
    dir: confdir.dir,
    cmd: [process.execPath, cli, '--onetime', '--confdir', confdir.dir, '--log-level', 'error'],
    env: { ...baseEnv, ...confdir.env },
  });
  const cases = [
    { name: 'node -e 0', dir: '', cmd: [process.execPath, '-e', '0'], env: baseEnv },
    start('100 resources, Handlebars', generateConfdir(100)),
    start('100 resources, Go', generateConfdir(100, 3, false, 'go')),
    start('100 resources, Handlebars, a template each', generateConfdir(100, 3, true)),
    start('100 resources, Go, a template each', generateConfdir(100, 3, true, 'go')),
  ];
  for (const c of cases) timeRun(c.cmd, c.env); // warm the page cache and keyplate's template cache
  // The two languages must write the same files, or the comparison means nothing.
  for (const [a, b] of [[1, 2], [3, 4]]) {
    const file = (i: number): string => readFileSync(path.join(cases[i].dir, 'out', 'r7.conf'), 'utf8');
    if (file(a) !== file(b)) throw new Error(`${cases[a].name} and ${cases[b].name} render differently:\n${file(a)}\n---\n${file(b)}`);
  }
  const times = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    cases.forEach((c, i) => {
      const run = timeRun(c.cmd, c.env);
      if (run.code !== 0) throw new Error(`${c.name} exited ${run.code}`);
      times[i].push(run.ms);
    });
  }
  const base = median(times[0]);
  console.log(`\n## Go templates against Handlebars: keyplate --onetime (env backend), medians of ${rounds}, interleaved`);
  console.log('| case | median ms | ratio to node -e 0 |');
  console.log('|---|---|---|');
  cases.forEach((c, i) => console.log(`| ${c.name} | ${median(times[i]).toFixed(1)} | ${(median(times[i]) / base).toFixed(2)}x |`));
  console.log('');
  benchGoTemplate(rounds);
}
