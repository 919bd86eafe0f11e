// Stage files: their names say which keyplate process made them, so a later start can remove those no running keyplate holds.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { followDest, takeDestDirs } from '../resources/destination.js';
import type { Logger } from '../ops/log.js';

/** `.app.conf.keyplate-<pid>-<start>-<n>`: pid in decimal, the process's start time and a counter in base 36. */
const stagePattern = /^\..+\.keyplate-(\d+)-([0-9a-z]+)-[0-9a-z]+$/;
/** keyplate 0.1's `.app.conf.keyplate-<id>`, whose id cannot be read back: judged by age alone. */
const legacyPattern = /^\..+\.keyplate-[0-9a-z]+$/;
/** Older than any 0.1 write could still be running (its check_timeout defaulted to 30 s). */
const legacyAgeMs = 60 * 60 * 1000;

/**
 * A process's start time in clock ticks after boot: field 22 of /proc/<pid>/stat (proc(5)). With the pid it
 * names one process for the life of the machine, where a pid alone is soon reused. The command name (field 2)
 * may hold spaces and parentheses, so fields are counted after its last `)`. Undefined without such a process.
 */
function startTimeOf(pid: number | 'self'): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return ticks === undefined ? undefined : BigInt(ticks).toString(36);
}

const noThrow = { throwIfNoEntry: false } as const;
let ownStart: string | undefined;
let stageCount = 0;

/**
 * The stage file's name for the file at `path`, beside it. Unique per process and call; O_EXCL on open makes a
 * clash an error, never a shared file. Where /proc cannot be read the start time is `0`, and liveness falls back
 * to the pid alone.
 */
export function stagePath(path: string): string {
  ownStart ??= startTimeOf('self') ?? '0';
  return join(dirname(path), `.${basename(path)}.keyplate-${process.pid}-${ownStart}-${(stageCount++).toString(36)}`);
}

/** A keyplate that may still rename this stage file: its pid is alive and, where /proc tells, started when the name says. */
function held(pid: number, start: string): boolean {
  if (start !== '0') return startTimeOf(pid) === start;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Sweep {
  /** Stage files removed. */
  removed: string[];
  /** Stage files that could not be removed, with the reason. */
  failed: string[];
}

/**
 * Removes stage files that keyplate processes left behind (killed with SIGKILL mid-write, or a crashed host) in
 * the directories where the resources' dests are really written (after their symlinks). A stage file counts as held while
 * the process its name records runs, judged by pid and start time in this pid namespace: keyplates in other
 * containers that share a destination directory are not seen, and must not share one. Names of another shape
 * are never touched. Errors reading a directory are skipped: the write reports them with more context.
 */
export function removeLeftoverStageFiles(resources: readonly { dest: string }[]): Sweep {
  const dirs = takeDestDirs() ?? destDirs(resources);
  const sweep: Sweep = { removed: [], failed: [] };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!isLeftover(dir, name)) continue;
      const file = join(dir, name);
      try {
        rmSync(file, { force: true });
        sweep.removed.push(file);
      } catch (error) {
        sweep.failed.push(`${file} (${(error as Error).message})`);
      }
    }
  }
  return sweep;
}

/** A stage file of keyplate's naming that no running keyplate can still rename. */
function isLeftover(dir: string, name: string): boolean {
  const match = stagePattern.exec(name);
  if (match) return !held(Number(match[1]), match[2]!);
  if (!legacyPattern.test(name)) return false;
  const stat = statSync(join(dir, name), noThrow);
  return stat !== undefined && stat.isFile() && Date.now() - stat.mtimeMs > legacyAgeMs;
}

/** The directories the resources' dest files are in, after their symlinks. */
function destDirs(resources: readonly { dest: string }[]): Set<string> {
  const dirs = new Set<string>();
  for (const { dest } of resources) {
    try {
      dirs.add(dirname(followDest(dest).path));
    } catch {
      // A looping link is refused at load.
    }
  }
  return dirs;
}

/**
 * The start's sweep (see removeLeftoverStageFiles), logged: one info line with how many were removed and where,
 * a warning for any that could not be. Not for `check`, `--noop` (they change nothing) or `--keep-stage-file`
 * (whose stage files are kept on purpose); the caller decides.
 */
export function sweepStageFiles(resources: readonly { dest: string }[], log: Pick<Logger, 'info' | 'warn'>): void {
  const { removed, failed } = removeLeftoverStageFiles(resources);
  if (removed.length > 0) {
    const where = [...new Set(removed.map((f) => dirname(f)))].join(', ');
    log.info(`removed ${removed.length} stage file${removed.length === 1 ? '' : 's'} left in ${where} by keyplate processes no longer running`);
  }
  if (failed.length > 0) log.warn(`cannot remove leftover stage files: ${failed.join(', ')}; remove them by hand`);
}
