// The safe write: compare → stage (0600, fsync) → check_cmd → chmod/chown → rename → fsync dir.
import { accessSync, chmodSync, chownSync, closeSync, fsyncSync, lstatSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { describeFailure, expandSrc, runShell } from '../process/commands.js';
import { followDest, kindOf, LinkLoopError, notRegularMessage, takeStartStat, unexpandedTilde } from '../resources/destination.js';
import { CheckError, WriteError } from '../errors.js';
import type { Resource } from '../resources/resource.js';
import { stagePath } from './stage-files.js';

export type Change = 'created' | 'content' | 'mode' | 'owner';

export interface WriteOptions {
  noop: boolean;
  syncOnly: boolean;
  keepStageFile: boolean;
  /** Where --noop prints its diff (stdout). */
  printDiff?: (text: string) => void;
}

export interface WriteOutcome {
  /** Empty when the destination already matched. */
  changes: Change[];
  /** The file on disk was replaced. */
  written: boolean;
}

interface Current {
  /** Size in bytes, from the stat taken before anything was opened. */
  size: number;
  mode: number;
  uid: number;
  gid: number;
}

/** fs options as constants: Node copies a fresh options object on every call (100 files per start). */
const noThrow = { throwIfNoEntry: false } as const;
/**
 * Should something else take the file's place between the stat and the open: O_NONBLOCK makes a FIFO's open and
 * read return at once, and O_NOFOLLOW refuses a symlink (to /dev/zero, say) where the links were already followed.
 */
const readFlags = fsc.O_RDONLY | fsc.O_NONBLOCK | fsc.O_NOFOLLOW;
const readUtf8 = { encoding: 'utf8', flag: readFlags } as const;
/** The most of a current file --noop reads to show a diff. */
const diffLimit = 4 * 1024 * 1024;

function cannotRead(dest: string, error: unknown): WriteError {
  return new WriteError(`${dest}: cannot read the current file (${(error as Error).message})`, { cause: error });
}

/**
 * Up to `limit` bytes of `path`. The type was checked by stat before (a device or FIFO is never opened), and the
 * read is bounded whatever the file became since, so it can neither block nor grow without end.
 */
function readBounded(path: string, limit: number): Buffer {
  const buffer = Buffer.allocUnsafe(limit);
  let length = 0;
  try {
    const fd = openSync(path, readFlags);
    try {
      for (let n = -1; n !== 0 && length < limit; length += n) n = readSync(fd, buffer, length, limit - length, null);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw cannotRead(path, error);
  }
  return buffer.subarray(0, length);
}

/** S_IFMT and S_IFREG: a regular file told from the mode bits, without a call per file (see destination.ts). */
const { S_IFMT, S_IFREG, S_IFLNK } = fsc;

/**
 * Where the file really is, and its stat. A dest that exists and is not a regular file is refused here too
 * (the loader refuses it first; this covers one that changed since). One lstat for a dest that is not a link,
 * as a start looks at every resource's file, and none for the first write right after the loader took one
 * (takeStartStat); a link is followed (see destination.ts).
 */
function locate(resource: Resource): { path: string; current: Current | undefined } {
  const { dest } = resource;
  let path = dest;
  let stat;
  try {
    const lent = takeStartStat(dest);
    stat = lent === undefined ? lstatSync(dest, noThrow) : (lent ?? undefined);
    if (stat !== undefined && (stat.mode & S_IFMT) === S_IFLNK) {
      const found = followDest(dest);
      path = found.path;
      // A link readlink cannot follow (/proc's magic links, as /dev/stdout): the kernel can.
      stat = found.stat ?? statSync(dest, noThrow);
      if (stat !== undefined && (stat.mode & S_IFMT) !== S_IFREG) throw new WriteError(notRegularMessage(dest, found.stat ? found.path : (found.link ?? dest), kindOf(stat)));
    }
  } catch (error) {
    if (error instanceof WriteError) throw error;
    throw new WriteError(error instanceof LinkLoopError ? error.message : `${dest}: cannot look up the destination (${(error as Error).message})`, { cause: error });
  }
  if (stat === undefined) return { path, current: undefined };
  if ((stat.mode & S_IFMT) !== S_IFREG) throw new WriteError(notRegularMessage(dest, dest, kindOf(stat)));
  return { path, current: { size: stat.size, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid } };
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, fsc.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * `output` is on disk already. A size that `output`'s UTF-8 cannot have (between 1 and 3 bytes per UTF-16 unit)
 * decides without reading anything. Otherwise the file is read whole in one native call, as a start compares
 * every resource's file: a regular file of at most three times the output's length a moment ago, opened without
 * following links and without blocking (readFlags). The bounded read (four calls through Node's argument
 * checks, enough at 100 resources to make V8 optimize one of Node's own functions on every start) is kept for the
 * rare output holding U+FFFD, where text equality cannot decide.
 */
function sameContent(path: string, current: Current, output: string): boolean {
  if (current.size < output.length || current.size > 3 * output.length) return false;
  let text: string;
  try {
    text = readFileSync(path, readUtf8);
  } catch (error) {
    throw cannotRead(path, error);
  }
  if (text !== output) return false;
  // Invalid UTF-8 decodes to U+FFFD, which could equal a literal U+FFFD in the output: compare bytes then.
  if (!output.includes('\uFFFD')) return true;
  const bytes = Buffer.from(output, 'utf8');
  // One byte more than expected, so a file that grew since the stat reads as different.
  return readBounded(path, bytes.length + 1).equals(bytes);
}

/** What the destination should become: the changes found, and the final mode and owner. */
interface Plan {
  /** The file really written: dest, or the end of dest's symlinks (the links stay as they are). */
  path: string;
  current: Current | undefined;
  changes: Change[];
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Compare, then (when something differs) print the diff or replace the file. The comparison is synchronous,
 * so an unchanged file, the common case at every start, costs no promise. A dest that is a symlink is
 * written through: the file at the end of its links is replaced, in that file's directory.
 */
export function writeResource(resource: Resource, output: string, options: WriteOptions): WriteOutcome | Promise<WriteOutcome> {
  const { path, current } = locate(resource);
  const mode = resource.mode ?? current?.mode ?? 0o644;
  const uid = resource.uid ?? current?.uid ?? process.getuid?.() ?? 0;
  const gid = resource.gid ?? current?.gid ?? process.getgid?.() ?? 0;

  const changes: Change[] = [];
  if (!current) changes.push('created');
  else {
    if (!sameContent(path, current, output)) changes.push('content');
    if (current.mode !== mode) changes.push('mode');
    if (current.uid !== uid || current.gid !== gid) changes.push('owner');
  }
  if (changes.length === 0) return { changes, written: false };
  const plan: Plan = { path, current, changes, mode, uid, gid };
  if (!current && !isDirectory(dirname(path))) {
    const missing = missingDirectory(resource, path, options.noop);
    if (!options.noop) throw missing;
    // --noop shows the whole new file first, then fails as the real run would (exit 1), so CI sees both.
    return showDiff(resource, output, plan, options).then(() => Promise.reject(missing));
  }
  if (!options.noop) return replaceFile(resource, output, plan, options);
  // The dry run fails where the real one would: a directory it may not create files in (permissions, a read-only mount).
  const unwritable = cannotWriteIn(dirname(path));
  if (unwritable === undefined) return showDiff(resource, output, plan, options);
  const error = new WriteError(`${resource.name}: cannot write in ${dirname(path)} (${unwritable}); the diff shows the change, but a run would fail here`);
  return showDiff(resource, output, plan, options).then(() => Promise.reject(error));
}

/** Why files cannot be made in `dir` (EACCES, EROFS…), or undefined when they can (access(2) with W_OK). */
function cannotWriteIn(dir: string): string | undefined {
  try {
    accessSync(dir, fsc.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir, noThrow)?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

function missingDirectory(resource: Resource, path: string, noop: boolean): WriteError {
  const via = path === resource.dest ? '' : ` (where dest's symlink ${resource.dest} points)`;
  const would = noop ? '; the diff shows the new file, but a run would fail here' : '';
  const tilde = unexpandedTilde(dirname(path));
  return new WriteError(`${resource.name}: destination directory ${dirname(path)}${via} does not exist${would}${tilde}; create it or fix dest in ${resource.file}`);
}

async function showDiff(resource: Resource, output: string, { path, current, changes, mode, uid, gid }: Plan, options: WriteOptions): Promise<WriteOutcome> {
  const { dest } = resource;
  const { createTwoFilesPatch } = await import('diff');
  const before = current ? readBounded(path, Math.min(current.size, diffLimit)).toString('utf8') : '';
  const cut = current && current.size > diffLimit ? ` (first ${diffLimit} of ${current.size} bytes)` : '';
  const patch = createTwoFilesPatch(dest, dest, before, output, current ? `current${cut}` : '(new file)', 'rendered');
  const meta = changes.filter((c) => c === 'mode' || c === 'owner').map((c) => (c === 'mode' ? `mode ${(current!.mode).toString(8)} → ${mode.toString(8)}` : `owner ${current!.uid}:${current!.gid} → ${uid}:${gid}`));
  if (path !== dest) meta.push(`written through the symlink to ${path}`);
  options.printDiff?.(`# ${resource.name}${meta.length ? ' (' + meta.join(', ') + ')' : ''}\n${patch}`);
  return { changes, written: false };
}

async function replaceFile(resource: Resource, output: string, { path, changes, mode, uid, gid }: Plan, options: WriteOptions): Promise<WriteOutcome> {
  const { dest } = resource;
  const content = Buffer.from(output, 'utf8');
  const dir = dirname(path);
  // Same directory as the file really written, so the final rename is atomic and leaves dest's links in place;
  // private until it gets its final mode.
  const stage = stagePath(path);
  let renamed = false;
  // Synchronous file calls: config files are small, and ten thread-pool round trips per write cost more
  // change latency (measured ~4 ms here) than the sub-millisecond block they save the event loop.
  try {
    const fd = openSync(stage, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
    try {
      writeFileSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    rmSync(stage, { force: true });
    throw new WriteError(`${resource.name}: cannot stage ${stage} (${(error as Error).message}); check that ${dir} is writable`, { cause: error });
  }

  try {
    if (resource.checkCmd && !options.syncOnly) {
      const result = await runShell(expandSrc(resource.checkCmd, stage), { timeoutMs: resource.checkTimeoutMs, label: `${resource.name}'s check_cmd` });
      if (!result.ok) {
        throw new CheckError(`${resource.name}: check_cmd ${describeFailure(result, resource.checkTimeoutMs)}; ${dest} was left as it was`, { output: result.output });
      }
    }
    try {
      chmodSync(stage, mode);
      const st = statSync(stage);
      if (st.uid !== uid || st.gid !== gid) chownSync(stage, uid, gid);
    } catch (error) {
      throw new WriteError(`${resource.name}: cannot set mode ${mode.toString(8)} and owner ${uid}:${gid} (${(error as Error).message}); run as a user allowed to, or drop owner/uid/gid`, { cause: error });
    }
    try {
      renameSync(stage, path);
      renamed = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      // A bind-mounted file (docker -v file:file) cannot be replaced, only rewritten in place.
      writeFileSync(path, content);
      chmodSync(path, mode);
      rmSync(stage, { force: true });
    }
    fsyncDir(dir);
  } catch (error) {
    if (!renamed && !options.keepStageFile) rmSync(stage, { force: true });
    if (error instanceof WriteError) throw error;
    throw new WriteError(`${resource.name}: cannot write ${dest} (${(error as Error).message})`, { cause: error });
  }
  return { changes, written: true };
}
