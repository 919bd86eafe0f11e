// `npm run fuzz`: generated inputs through keyplate, in-process (through main()) and, for a sample, as the built
// CLI; reports crashes, stack traces, internal errors, hangs and writes outside the destinations, and saves every
// failing input for replay. The in-process runs go through a worker process, so that even a synchronous hang is
// caught: a worker silent for longer than the hang limit is killed, its input reported, and a new worker goes on.
//
//   npm run fuzz -- [--count 10000] [--seed 1] [--cli-every 25] [--hang-ms 30000] [--save dir] [--replay file]
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { main } from '../../src/cli/cli.js';
import { loadCase, runCliProcess, runInProcess, type Verdict } from './check.js';
import { generate } from './generate.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
};
const count = Number(option('count', '10000'));
const seed = Number(option('seed', '1'));
const cliEvery = Number(option('cli-every', '25'));
const hangMs = Number(option('hang-ms', '30000'));
const save = path.resolve(option('save', 'bench/.run/fuzz-findings'));
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const cli = path.join(root, 'dist', 'keyplate.cjs');

if (args.includes('--worker')) {
  // Worker: run inputs [from, from + n) in-process, one JSON verdict per line.
  const from = Number(option('from', '0'));
  const n = Number(option('n', '0'));
  process.env.KEYPLATE_CACHE_DIR = 'off';
  for (let id = from; id < from + n; id++) {
    process.stdout.write(`${JSON.stringify({ started: id })}\n`);
    const verdict = await runInProcess(main, generate(seed, id), hangMs);
    process.stdout.write(`${JSON.stringify(verdict ?? { id, skipped: true })}\n`);
  }
  process.exit(0);
} else if (args.includes('--replay')) {
  const fuzz = loadCase(option('replay', ''));
  process.env.KEYPLATE_CACHE_DIR = 'off';
  console.log(JSON.stringify(await runInProcess(main, fuzz, hangMs), null, 2));
  console.log(JSON.stringify(await runCliProcess(cli, fuzz, hangMs), null, 2));
} else {
  await parent();
}

/** Runs workers over the whole range, restarting after a hang; then the CLI sample; then the report. */
async function parent(): Promise<void> {
  const started = Date.now();
  const verdicts: Verdict[] = [];
  let skipped = 0;
  let next = 0;
  while (next < count) {
    const from = next;
    const worker = spawn(process.execPath, [process.argv[1], '--worker', '--seed', String(seed), '--from', String(from), '--n', String(count - from), '--hang-ms', String(hangMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let current = from;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => worker.kill('SIGKILL'), hangMs + 5_000);
    };
    arm();
    for await (const line of createInterface({ input: worker.stdout! })) {
      arm();
      const message = JSON.parse(line) as { started?: number; skipped?: boolean } & Partial<Verdict>;
      if (message.started !== undefined) {
        current = message.started;
        continue;
      }
      if (message.skipped) skipped++;
      else verdicts.push(message as Verdict);
      next = (message.id ?? current) + 1;
      if (next % 1000 === 0) process.stderr.write(`fuzz: ${next}/${count} inputs, ${verdicts.filter((v) => v.problems.length).length} failing, ${((Date.now() - started) / 1000).toFixed(0)}s\n`);
    }
    clearTimeout(timer);
    const exit = await new Promise<number | null>((resolve) => (worker.exitCode !== null ? resolve(worker.exitCode) : worker.once('exit', (code) => resolve(code))));
    if (next <= current && next < count) {
      // The worker stopped (killed as hung, or crashed) inside input `current`.
      verdicts.push({ id: current, mode: 'in-process', code: exit, ms: hangMs, problems: [exit === null ? `hang: worker silent for ${hangMs}ms` : `worker died (exit ${exit})`], stderr: '' });
      next = current + 1;
    }
  }
  const inProcessMs = Date.now() - started;
  let cliRuns = 0;
  for (let id = 0; id < count; id += cliEvery) {
    const verdict = await runCliProcess(cli, generate(seed, id), hangMs);
    if (verdict) {
      verdicts.push(verdict);
      cliRuns++;
    }
  }
  report(verdicts, skipped, cliRuns, inProcessMs, Date.now() - started);
}

function report(verdicts: Verdict[], skipped: number, cliRuns: number, inProcessMs: number, totalMs: number): void {
  const failing = verdicts.filter((v) => v.problems.length > 0);
  const kinds = new Map<string, number>();
  for (const v of failing) for (const p of v.problems) {
    const kind = p.replace(/: .*/, '').replace(/ \d+.*/, '');
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const codes = new Map<string, number>();
  for (const v of verdicts) codes.set(String(v.code), (codes.get(String(v.code)) ?? 0) + 1);
  console.log(`fuzz: seed ${seed}, ${count} inputs generated, ${count - skipped} run in-process (${skipped} skipped: a destination outside the sandbox) in ${(inProcessMs / 1000).toFixed(1)}s, ${cliRuns} also as the CLI; ${(totalMs / 1000).toFixed(1)}s in all`);
  const times = verdicts.filter((v) => v.mode === 'in-process').map((v) => v.ms).sort((a, b) => a - b);
  const at = (q: number): number => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  console.log(`in-process time per input: median ${at(0.5)}ms, p99 ${at(0.99)}ms, max ${at(1)}ms; ${times.filter((t) => t > 5000).length} over 5s (render limits reached)`);
  console.log(`exit codes: ${[...codes].sort().map(([c, n]) => `${c}×${n}`).join(', ')}`);
  const count0 = (what: string): number => failing.filter((v) => v.problems.some((p) => p.startsWith(what))).length;
  console.log(`crashes (undocumented exit, worker died, main threw): ${count0('exit code') + count0('worker died') + count0('main() threw') + count0('died of')}`);
  console.log(`stack traces: ${count0('stack trace')}; internal errors: ${count0('JavaScript error') + count0('V8 limit') + count0('Node internal') + count0('unexpected failure') + count0('garbled')}`);
  const known = verdicts.filter((v) => v.known);
  if (known.length > 0) console.log(`known, owned elsewhere (not counted above): ${[...new Set(known.map((v) => v.known))].map((k) => `${known.filter((v) => v.known === k).length}× ${k}`).join(', ')}`);
  console.log(`hangs: ${count0('hang')}; writes outside the destinations: ${count0('wrote outside')}; stage files left: ${count0('stage file')}; exit 2 with a write: ${count0('exit 2 but')}`);
  if (failing.length > 0) {
    mkdirSync(save, { recursive: true });
    for (const v of failing) writeFileSync(path.join(save, `input-${seed}-${v.id}.json`), JSON.stringify(generate(seed, v.id)));
    console.log(`\n${failing.length} failing runs (inputs saved in ${save}; replay one with npm run fuzz -- --replay <file>):`);
    for (const [kind, n] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${n}× ${kind}`);
    for (const v of failing.slice(0, 15)) console.log(`\n#${v.id} (${v.mode}, exit ${v.code}): ${v.problems.join('; ')}\n${v.stderr.split('\n').slice(0, 6).join('\n')}`);
  }
  process.exitCode = failing.length > 0 ? 1 : 0;
}
