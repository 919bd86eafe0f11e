// check_cmd and reload_cmd: /bin/sh -c in their own process group, done when the shell exits, with a timeout that kills the whole group.
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Socket } from 'node:net';
import { outputCut } from '../ops/redact.js';

export interface CommandResult {
  ok: boolean;
  /** Not run, or killed, because keyplate was told to stop now (a second stop signal; see killRunningCommands). */
  cancelled?: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Combined stdout and stderr, the last 16 KiB (16,384 characters), after `outputCut` when more was written. */
  output: string;
  /** Why the shell could not be started at all (spawn's error: ENOENT, EACCES…); then nothing ran. */
  startError?: string;
}

const maxOutput = 16 * 1024;

/** Starts output of which only the last 16 KiB were kept; redactValues removes a value the cut split. */

/** Quote a string for /bin/sh. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `{{src}}` and confd's `{{.src}}` become the staged file's path, shell-quoted. */
export function expandSrc(command: string, stagePath: string): string {
  return command.replace(/\{\{\s*\.?src\s*\}\}/g, () => shellQuote(stagePath));
}

export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How a stopping keyplate names it while it waits for it: `app.toml's reload_cmd`. */
  label?: string;
}

/** A command runShell is running: its process group, and when its timeout kills it (Date.now() ms). */
interface Running {
  label: string;
  pid: number;
  deadline: number;
}

const running = new Set<Running>();
/** Set by killRunningCommands: no command starts any more. */
let cancelled = false;

/** The commands running now (check_cmd, reload_cmd), by label, with the most time any of them may still take (ms). */
export function runningCommands(): { labels: string[]; remainingMs: number } {
  const now = Date.now();
  const all = [...running];
  return { labels: [...new Set(all.map((r) => r.label))], remainingMs: Math.max(0, ...all.map((r) => r.deadline - now)) };
}

/**
 * Stop now: SIGKILL every running command's process group, and start no command from here on (runShell answers
 * `cancelled` at once). For a second stop signal; a check_cmd killed this way fails, so its stage file is removed.
 */
export function killRunningCommands(): void {
  cancelled = true;
  for (const r of running) killGroup(r.pid, 'SIGKILL');
}

/** After the shell exits, output still arriving this long after the last byte belongs to its background children. */
const settleMs = 25;
/** A background child that never stops writing does not hold the command past this, after the shell's exit. */
const settleLimitMs = 500;

/** The combined output of a command's two streams: the last 16 KiB, marked with `outputCut` when more came. */
class OutputTail {
  #text = '';
  #cut = false;
  /** Date.now() of the last chunk. */
  lastData = 0;
  /** Nothing is taken any more: what a background child writes later is dropped. */
  done = false;

  readonly add = (chunk: string): void => {
    if (this.done) return;
    this.lastData = Date.now();
    this.#text += chunk;
    if (this.#text.length > maxOutput * 2) {
      this.#text = this.#text.slice(-maxOutput);
      this.#cut = true;
    }
  };

  text(extra = ''): string {
    this.done = true;
    const kept = `${this.#text}${extra}`.trimEnd();
    return this.#cut || kept.length > maxOutput ? outputCut + kept.slice(-maxOutput) : kept;
  }
}

/**
 * Resolves once the output the shell wrote before it exited has been read: when the streams close, or when they
 * have been quiet for settleMs and one more poll phase of the event loop brought nothing (a late timer cannot cut
 * it short), or settleLimitMs after the exit whatever a background child keeps writing.
 */
function settled(tail: OutputTail, closed: Promise<void>): Promise<void> {
  const exitedAt = Date.now();
  tail.lastData = exitedAt;
  let done = false;
  return new Promise((resolve) => {
    // The common case, a command that leaves nothing behind: its streams close right after it exits.
    void closed.then(() => {
      done = true;
      resolve();
    });
    const check = (): void => {
      const now = Date.now();
      if (done || now - exitedAt >= settleLimitMs) return resolve();
      const quiet = now - tail.lastData;
      if (quiet < settleMs) {
        setTimeout(check, settleMs - quiet);
        return;
      }
      const before = tail.lastData;
      setImmediate(() => (tail.lastData === before ? resolve() : check()));
    };
    check();
  });
}

/** kill(-pgid): the whole group; nothing to do when it is gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  try {
    if (pid) process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs `command` with /bin/sh -c in a process group of its own. Done when the shell exits: a command that
 * leaves a background child (`reload_cmd = "sleep 30 &"`, a daemon's launcher) neither holds keyplate nor is
 * killed at the timeout, which is the shell's (an overrun kills the whole group). The output the shell and its
 * commands wrote before it exited is collected first (see settled). The sockets then stay open, unreferenced,
 * so a background child that writes later gets no SIGPIPE while keyplate runs; what it writes is dropped.
 */
export async function runShell(command: string, { timeoutMs, env, cwd, label = 'a command' }: RunOptions): Promise<CommandResult> {
  const notRun = { ok: false, cancelled: true, code: null, signal: null, timedOut: false, output: '' };
  if (cancelled) return notRun;
  // Loaded on first use: most onetime runs of resources without commands never need it.
  const { spawn } = await import('node:child_process');
  if (cancelled) return notRun;
  const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  const entry = child.pid === undefined ? undefined : { label, pid: child.pid, deadline: Date.now() + timeoutMs };
  if (entry) running.add(entry);
  try {
    return await finish(child, timeoutMs);
  } finally {
    if (entry) running.delete(entry);
  }
}

/** The rest of runShell: wait for the shell's exit (or its timeout), then for its output. */
async function finish(child: ChildProcessByStdio<null, Readable, Readable>, timeoutMs: number): Promise<CommandResult> {
  const tail = new OutputTail();
  // Decoded per stream, so a character split between two reads stays whole.
  child.stdout.setEncoding('utf8').on('data', tail.add);
  child.stderr.setEncoding('utf8').on('data', tail.add);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGKILL');
  }, timeoutMs);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
    child.on('error', resolve); // kept: a later 'error' without a listener would throw
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(timer);
  if (exit instanceof Error) return { ok: false, code: null, signal: null, timedOut, output: '', startError: exit.message };
  if (timedOut) killGroup(child.pid, 'SIGKILL'); // what the shell left in its group still holds the output
  await settled(tail, closed);
  for (const stream of [child.stdout, child.stderr]) (stream as Socket).unref();
  return { ok: exit.code === 0 && !timedOut, ...exit, timedOut, cancelled: cancelled && exit.code !== 0, output: tail.text() };
}

export function describeFailure(result: CommandResult, timeoutMs: number): string {
  if (result.cancelled) return `was ${result.signal ? 'killed' : 'not started'}, as keyplate was told to stop now (a second stop signal)`;
  if (result.startError !== undefined) {
    return `could not be started (${result.startError}); keyplate runs it with /bin/sh -c, which needs /bin/sh and, in a container or chroot, /proc and /dev mounted`;
  }
  if (result.timedOut) return `timed out after ${timeoutMs}ms and was killed`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.code}`;
}
