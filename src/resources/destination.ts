// What a resource's dest names on disk: symlinks followed to the file keyplate really writes, and the type judged there.
import { constants, lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** fs options as constants: Node copies a fresh options object on every call (100 files per start). */
const noThrow = { throwIfNoEntry: false } as const;

/** Linux's own limit on symlinks followed in one path lookup (MAXSYMLINKS, path_resolution(7)). */
const maxLinks = 40;

export interface Destination {
  /** The path keyplate stages beside and renames over: dest itself, or the end of its chain of links. */
  path: string;
  /** `path`'s lstat; undefined when nothing is there yet (a new file, or a dangling link's target). */
  stat: Stats | undefined;
  /** The last symlink followed, if any: what to name when `path` is not a real path (/proc's `pipe:[…]`). */
  link?: string;
}

/** A dest whose links loop or run past Linux's limit (ELOOP). */
export class LinkLoopError extends Error {}

/**
 * Follows `dest` through symlinks, one link at a time, as the kernel would: a relative link resolves against
 * the directory of the link that holds it. A dangling link ends at the path it names, which keyplate creates.
 * One lstat when dest is not a link, so the common case costs what a stat did. Throws LinkLoopError after
 * 40 links; other fs errors (EACCES, ENOTDIR) are thrown as they are.
 */
export function followDest(dest: string): Destination {
  let path = dest;
  let link: string | undefined;
  for (let links = 0; ; links++) {
    const stat = lstatSync(path, noThrow);
    if (stat === undefined || !stat.isSymbolicLink()) return link === undefined ? { path, stat } : { path, stat, link };
    if (links === maxLinks) throw new LinkLoopError(`dest ${dest}: more than ${maxLinks} symbolic links, or a loop of them; fix the link or point dest at a file`);
    link = path;
    path = resolve(dirname(path), readlinkSync(path));
  }
}

/** `a FIFO (named pipe)`, `a character device`…, for a file that is not a regular one. */
export function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/** The sentence that refuses a destination of kind `kind`; `target` is where dest's links led, if anywhere. */
export function notRegularMessage(dest: string, target: string, kind: string): string {
  const via = target === dest ? '' : ` (it links to ${target})`;
  return `dest ${dest}${via} is ${kind}; keyplate replaces only regular files, so point dest at a file path`;
}

/**
 * Why `dest` cannot be a destination, or undefined when it can: it exists (after following symlinks) and is
 * not a regular file (a device such as /dev/null, a FIFO, a socket, a directory), or its links loop. A dest
 * that does not exist yet, or a dangling link, is fine: the file is created. Nothing is opened, so a FIFO
 * cannot block and a device cannot be read; the kernel's stat also follows /proc's magic links
 * (/dev/stdout → /proc/self/fd/1 → a pipe), which readlink cannot.
 */
export function destProblem(dest: string): string | undefined {
  let stat: Stats | undefined;
  try {
    stat = statSync(dest, noThrow);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return `dest ${dest}: its symbolic links loop; fix the link or point dest at a file`;
    // EACCES, ENOTDIR…: the write reports these with the operation that failed.
    return undefined;
  }
  if (stat === undefined || stat.isFile()) return undefined;
  let target = dest;
  try {
    const found = followDest(dest);
    target = found.stat ? found.path : (found.link ?? dest);
  } catch {
    // A link the kernel followed but readlink cannot: keep naming dest.
  }
  return notRegularMessage(dest, target, kindOf(stat));
}

const { S_IFMT, S_IFREG, S_IFLNK } = constants;

/** The directories destProblems found the files of its dests in (after their links), for the sweep at start. */
let lastDirs = new Set<string>();

/**
 * The lstat destProblems took of each dest that is not a link (undefined: nothing there yet), lent once to the
 * first write of that dest (takeStartStat), and only within startStatMs of being taken: a start looks at every
 * resource's file twice otherwise, once to judge it and once to compare it (100 lstats, ~0.5 ms at 100 resources).
 */
let startStats = new Map<string, Stats | undefined>();
let startStatsAt = 0;
const startStatMs = 1000;

/**
 * The lstat destProblems took of `dest` at this start, if it is fresh and not yet taken: its Stats, null when nothing
 * was there, or undefined when there is none to lend (a link, taken already, or older than 1 s). Each dest's is lent
 * once: a later write of it looks again.
 */
export function takeStartStat(dest: string): Stats | null | undefined {
  if (startStats.size === 0) return undefined;
  if (Date.now() - startStatsAt > startStatMs) {
    startStats = new Map();
    return undefined;
  }
  if (!startStats.has(dest)) return undefined;
  const stat = startStats.get(dest);
  startStats.delete(dest);
  return stat ?? null;
}

/**
 * destProblem for many resources' dests at once, keyed by dest. One lstat per dest judged from its mode bits, and a stat
 * and readlinks only for symlinks: this runs at every start for every resource, where each extra call per file
 * counts (see README, Benchmarks). The directories the files are really in are kept for takeDestDirs.
 */
export function destProblems(resources: readonly { dest: string }[]): Map<string, string> {
  const problems = new Map<string, string>();
  lastDirs = new Set();
  startStats = new Map();
  startStatsAt = Date.now();
  for (const { dest } of resources) {
    let stat: Stats | undefined;
    try {
      stat = lstatSync(dest, noThrow);
    } catch {
      continue; // EACCES, ENOTDIR…: the write reports these with the operation that failed.
    }
    const type = stat === undefined ? S_IFREG : stat.mode & S_IFMT;
    if (type === S_IFLNK) {
      const problem = destProblem(dest);
      if (problem) problems.set(dest, problem);
      else {
        try {
          lastDirs.add(dirname(followDest(dest).path));
        } catch {
          // Reported by destProblem.
        }
      }
    } else if (type === S_IFREG) {
      lastDirs.add(dest.slice(0, dest.lastIndexOf('/')) || '/');
      startStats.set(dest, stat);
    } else problems.set(dest, notRegularMessage(dest, dest, kindOf(stat!)));
  }
  return problems;
}

/** The directories the last destProblems call found its dests' files in, once; undefined after. */
export function takeDestDirs(): Set<string> | undefined {
  const dirs = lastDirs;
  lastDirs = new Set();
  return dirs.size > 0 ? dirs : undefined;
}

/**
 * The hint for a missing directory whose path holds `~` or `~user` as a directory name (dest = "~/app.conf"): no
 * shell reads dest, so `~` is not expanded (as in confd). Empty for any other path.
 */
export function unexpandedTilde(dir: string): string {
  return /(^|\/)~[^/]*(\/|$)/.test(dir) ? '; `~` is not expanded: write the full path' : '';
}
