// The safe write: compare → stage (0600, fsync) → check_cmd → chmod/chown → rename → fsync dir.
import { chmodSync, chownSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, constants as fsc } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describeFailure, expandSrc, runShell } from '../process/commands.js';
import { CheckError, WriteError } from '../errors.js';
import type { Resource } from '../resources/resource.js';

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
  /** The file decoded as UTF-8 (see sameContent for files that are not). */
  text: string;
  mode: number;
  uid: number;
  gid: number;
}

/** fs options as constants: Node copies a string or fresh options object on every call (100 files per start). */
const utf8 = { encoding: 'utf8' } as const;
const noThrow = { throwIfNoEntry: false } as const;

function cannotRead(dest: string, error: unknown): WriteError {
  return new WriteError(`${dest}: cannot read the current file (${(error as Error).message})`, { cause: error });
}

/**
 * A stat and a read, two calls into Node's C++ side (readFileSync with 'utf8' is one native call on Node 20+);
 * config files are small, so synchronously, with no thread-pool round trips.
 */
function readCurrent(dest: string): Current | undefined {
  let stat;
  let text: string;
  try {
    stat = statSync(dest, noThrow);
    if (stat === undefined) return undefined;
    text = readFileSync(dest, utf8);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw cannotRead(dest, error);
  }
  return { text, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid };
}

/** Same bytes on disk as `output` would write. Text equality decides, except where the file was not valid UTF-8. */
function sameContent(dest: string, current: Current, output: string): boolean {
  if (current.text !== output) return false;
  // Invalid UTF-8 decodes to U+FFFD, which could equal a literal U+FFFD in the output: compare bytes then.
  if (!output.includes('\uFFFD')) return true;
  try {
    return readFileSync(dest).equals(Buffer.from(output, 'utf8'));
  } catch (error) {
    throw cannotRead(dest, error);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, fsc.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let stageCount = 0;
/** Unique per process and call; O_EXCL on open makes a clash an error, never a shared file. */
function stageSuffix(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}${(stageCount++).toString(36)}`;
}

/** What the destination should become: the changes found, and the final mode and owner. */
interface Plan {
  current: Current | undefined;
  changes: Change[];
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Compare, then (when something differs) print the diff or replace the file. The comparison is synchronous,
 * so an unchanged file, the common case at every start, costs no promise.
 */
export function writeResource(resource: Resource, output: string, options: WriteOptions): WriteOutcome | Promise<WriteOutcome> {
  const { dest } = resource;
  const dir = dirname(dest);
  const current = readCurrent(dest);
  if (!current) {
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) throw new WriteError(`${resource.name}: destination directory ${dir} does not exist; create it or fix dest in ${resource.file}`);
  }
  const mode = resource.mode ?? current?.mode ?? 0o644;
  const uid = resource.uid ?? current?.uid ?? process.getuid?.() ?? 0;
  const gid = resource.gid ?? current?.gid ?? process.getgid?.() ?? 0;

  const changes: Change[] = [];
  if (!current) changes.push('created');
  else {
    if (!sameContent(dest, current, output)) changes.push('content');
    if (current.mode !== mode) changes.push('mode');
    if (current.uid !== uid || current.gid !== gid) changes.push('owner');
  }
  if (changes.length === 0) return { changes, written: false };
  const plan: Plan = { current, changes, mode, uid, gid };
  return options.noop ? showDiff(resource, output, plan, options) : replaceFile(resource, output, plan, options);
}

async function showDiff(resource: Resource, output: string, { current, changes, mode, uid, gid }: Plan, options: WriteOptions): Promise<WriteOutcome> {
  const { dest } = resource;
  const { createTwoFilesPatch } = await import('diff');
  const patch = createTwoFilesPatch(dest, dest, current?.text ?? '', output, current ? 'current' : '(new file)', 'rendered');
  const meta = changes.filter((c) => c === 'mode' || c === 'owner').map((c) => (c === 'mode' ? `mode ${(current!.mode).toString(8)} → ${mode.toString(8)}` : `owner ${current!.uid}:${current!.gid} → ${uid}:${gid}`));
  options.printDiff?.(`# ${resource.name}${meta.length ? ' (' + meta.join(', ') + ')' : ''}\n${patch}`);
  return { changes, written: false };
}

async function replaceFile(resource: Resource, output: string, { changes, mode, uid, gid }: Plan, options: WriteOptions): Promise<WriteOutcome> {
  const { dest } = resource;
  const dir = dirname(dest);
  const content = Buffer.from(output, 'utf8');
  // Same directory, so the final rename is atomic; private until it gets its final mode.
  const stage = join(dir, `.${basename(dest)}.keyplate-${stageSuffix()}`);
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
      const result = await runShell(expandSrc(resource.checkCmd, stage), { timeoutMs: resource.checkTimeoutMs });
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
      renameSync(stage, dest);
      renamed = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EBUSY') throw error;
      // A bind-mounted file (docker -v file:file) cannot be replaced, only rewritten in place.
      writeFileSync(dest, content);
      chmodSync(dest, mode);
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
