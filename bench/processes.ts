// Per-build process helpers shared by the live benches (scale.ts, one-resource.ts): the builds to compare, a watching
// agent and its log, CPU and RSS from /proc, a file's content awaited by inotify, and figures kept per round.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { cli, median, tempDir } from './lib.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The environment every measured process gets: no NODE_OPTIONS, no NODE_EXTRA_CA_CERTS. */
export const env = { PATH: process.env.PATH, HOME: process.env.HOME };

export interface Build {
  name: string;
  /** The command that starts that build: Node on its dist/keyplate.cjs, or a compiled executable. */
  argv: string[];
}

/**
 * This checkout's build, BENCH_BEFORE's when set, and the executables named in BENCH_SCALE_EXES
 * (`name=path,name=path`, from `npm run build:exe`).
 */
export function builds(): Build[] {
  const out: Build[] = [];
  if (process.env.BENCH_BEFORE) out.push({ name: 'before', argv: [process.execPath, path.resolve(process.env.BENCH_BEFORE, 'dist', 'keyplate.cjs')] });
  out.push({ name: out.length ? 'after' : 'keyplate', argv: [process.execPath, cli] });
  for (const item of (process.env.BENCH_SCALE_EXES ?? '').split(',').filter(Boolean)) {
    const [name, file] = item.split('=');
    out.push({ name, argv: [path.resolve(file)] });
  }
  return out;
}

/** CPU time of every thread of `pid` so far (ms, from the scheduler's nanosecond counters, not 10 ms ticks). */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}
/** Resident set size of `pid` now (MiB). */
export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/**
 * The anonymous part of `pid`'s RSS now (MiB): its heaps and stacks, what the process itself allocated. The rest
 * is pages of files it maps, mostly its runtime's own code (node's text pages are ~40 MiB and shared by every Node
 * process; the Bun executable's ~50 MiB).
 */
export function rssAnonMiB(pid: number): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resolves when `file` holds `content`, checked on every inotify event in its directory. */
export function whenContent(file: string, test: (text: string) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      try {
        return test(readFileSync(file, 'utf8'));
      } catch {
        return false;
      }
    };
    if (check()) return resolve(performance.now());
    const w = watch(path.dirname(file), () => {
      if (check()) {
        w.close();
        resolve(performance.now());
      }
    });
  });
}

/**
 * Starts `b` watching with `args` at log level info. Its stderr goes to a file that `log` reads on each access (one
 * line per entry), not to a pipe: the bench process would otherwise handle the agent's log lines while it waits for
 * the file a put changes, and an agent that logs two lines per update (keyplate: `updated`, then `arrived` after a
 * wait) would be measured slower than one that logs one (the bare agent) for the bench's own work.
 */
export function startWatch(b: Build, args: string[]): { child: ChildProcess; readonly log: string[] } {
  const file = path.join(tempDir(), 'stderr.log');
  const fd = openSync(file, 'w');
  const child = spawn(b.argv[0], [...b.argv.slice(1), ...args, '--log-level', 'info'], { stdio: ['ignore', 'ignore', fd], env });
  closeSync(fd);
  return {
    child,
    get log() {
      return readFileSync(file, 'utf8').split('\n').filter(Boolean);
    },
  };
}

/** SIGTERM, and wait for the exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

/** The 1, 5 and 15 minute load averages, as /proc/loadavg says them. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Samples by figure name, in the order first added. */
export type Figures = Record<string, number[]>;
export const add = (f: Figures, k: string, v: number): void => void (f[k] ??= []).push(v);


/** Prints one markdown row per figure: the median of each build's samples, then the baselines' own rows. */
export function printFigures(list: Build[], figures: Map<string, Figures>, base: Figures): void {
  const fmt = (xs: number[] | undefined): string => (xs ? median(xs).toFixed(xs.some((x) => x < 20) ? 1 : 0) : '');
  console.log(`\n| figure | ${list.map((b) => b.name).join(' | ')} |\n|---|${list.map(() => '---|').join('')}`);
  for (const key of Object.keys(figures.get(list[0].name)!)) console.log(`| ${key} | ${list.map((b) => fmt(figures.get(b.name)![key])).join(' | ')} |`);
  for (const key of Object.keys(base)) console.log(`| ${key} | ${fmt(base[key])} |`);
}
