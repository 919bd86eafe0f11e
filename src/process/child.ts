// Supervises the user's command: its own process group, forwarded signals to the group, a reload signal to the command alone, stop escalating to SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultOf } from '../config/flags.js';
import { ExitCode, KeyplateError, describe } from '../errors.js';
import { groupHasLiveMembers } from './reaper.js';

/** Starting, signalling or stopping the command failed; `exitCode` is what a shell would report. */
export class ChildError extends KeyplateError {
  override readonly exitCode: number;
  constructor(message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options);
    this.exitCode = options.exitCode ?? ExitCode.resourceFailed;
  }
}

export interface ChildOptions {
  /** Defaults to keyplate's own environment. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Sent to the group by `stop()`. Default SIGTERM. */
  stopSignal?: NodeJS.Signals;
  /** How long `stop()` waits for the whole group before SIGKILL, in ms. Default: --kill-timeout's. */
  killTimeoutMs?: number;
}

export interface ChildEvents {
  spawn: [pid: number];
  /** `exitCode` is mapped as a shell does: the code, or 128+N after death by signal N. */
  exit: [exitCode: number, signal: NodeJS.Signals | null];
  /** The group outlived `killTimeoutMs` after the stop signal and is being SIGKILLed. */
  kill: [pid: number, killTimeoutMs: number];
}

/** A shell's `$?`: the exit code, or 128+N when signal N killed the process. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? constants.signals[signal] : 0);
}

interface Run {
  readonly pid: number;
  readonly exited: Promise<number>;
  done: boolean;
  stopping?: Promise<void>;
}

/**
 * The command runs detached (setsid: its own session and process group) so that a terminal's
 * Ctrl-C reaches keyplate alone and arrives at the command exactly once, forwarded; signals go
 * to the whole group, so grandchildren stop with it. Its stdio is keyplate's own fds, untouched.
 * The ChildProcess handle stays referenced, so keyplate's event loop lives as long as the command.
 */
export class Child extends EventEmitter<ChildEvents> {
  readonly command: readonly string[];
  readonly stopSignal: NodeJS.Signals;
  readonly killTimeoutMs: number;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #cwd: string | undefined;
  /** Ends every wait this Child started; aborted once by close(). */
  readonly #lifetime = new AbortController();
  #run: Run | undefined;
  #restarting: Promise<number> | undefined;
  #closed: Promise<void> | undefined;

  constructor(command: readonly string[], options: ChildOptions = {}) {
    super();
    if (command.length === 0 || command[0] === '') {
      throw new ChildError(`command: expected a program to run after \`--\`, got ${describe(command)}`, {
        exitCode: ExitCode.usage,
      });
    }
    const killTimeoutMs = options.killTimeoutMs ?? (defaultOf('kill-timeout') as number);
    if (!Number.isFinite(killTimeoutMs) || killTimeoutMs < 0) {
      throw new ChildError(`kill_timeout: expected a non-negative number of milliseconds, got ${describe(killTimeoutMs)}`, {
        exitCode: ExitCode.usage,
      });
    }
    this.command = [...command];
    this.stopSignal = options.stopSignal ?? 'SIGTERM';
    this.killTimeoutMs = killTimeoutMs;
    this.#env = options.env;
    this.#cwd = options.cwd;
  }

  get pid(): number | undefined {
    return this.#run?.pid;
  }

  get running(): boolean {
    return this.#run !== undefined && !this.#run.done;
  }

  /** The current (or last) run's exit code, mapped as a shell does. */
  get exited(): Promise<number> {
    if (!this.#run) return Promise.reject(new ChildError(`${this.command[0]}: not started`));
    return this.#run.exited;
  }

  /** Spawns the command; resolves with its pid, rejects with a ChildError (exit code 126/127) if it cannot run. */
  async start(): Promise<number> {
    if (this.#closed) throw new ChildError(`${this.command[0]}: cannot start after close()`);
    if (this.running) throw new ChildError(`${this.command[0]}: already running as pid ${this.#run?.pid}`);
    const [file, ...args] = this.command as [string, ...string[]];
    const proc = spawn(file, args, { stdio: 'inherit', env: this.#env, cwd: this.#cwd, detached: true });
    // After a successful spawn, 'error' only reports a failed kill(); we signal the group ourselves.
    proc.on('error', () => {});
    try {
      await once(proc, 'spawn');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const exitCode = code === 'ENOENT' ? 127 : 126;
      const where = this.#cwd ? ` (cwd ${this.#cwd})` : '';
      const hint =
        code === 'ENOENT' && !file.includes('/') ? ': not found on PATH'
        : code === 'ENOENT' ? ': no such file'
        : code === 'EACCES' && isDirectory(file, this.#cwd) ? ': is a directory, not a program; name the program to run after `--`'
        : code === 'EACCES' ? ': not executable (EACCES: no execute permission on it, or on a directory of its path); chmod +x it, or run it through its interpreter'
        : `: ${(error as Error).message}`;
      throw new ChildError(`command \`${file}\`${where}${hint}`, { cause: error, exitCode });
    }
    const pid = proc.pid as number;
    const run = this.#supervise(proc, pid);
    this.#run = run;
    this.emit('spawn', pid);
    return run.pid;
  }

  #supervise(proc: ChildProcess, pid: number): Run {
    stopOnKeyplateExit.set(pid, this.stopSignal);
    const run: Run = {
      pid,
      done: false,
      exited: new Promise<number>((resolve) => {
        proc.once('exit', (code, signal) => {
          run.done = true;
          stopOnKeyplateExit.delete(pid);
          const exitCode = exitCodeOf(code, signal);
          this.emit('exit', exitCode, signal);
          resolve(exitCode);
        });
      }),
    };
    return run;
  }

  /**
   * Sends `sig` to the command's main process alone, as a reload signal: the program decides what its own
   * helpers get, and a helper it started in the background does not die of a SIGHUP meant for reloading.
   * False when nothing is running to receive it.
   */
  signal(sig: NodeJS.Signals): boolean {
    if (!this.#run || this.#run.done) return false;
    return signalProcess(this.#run.pid, sig);
  }

  /** Sends `sig` to the command's whole process group (forwarded signals); false when nothing is running. */
  signalGroup(sig: NodeJS.Signals): boolean {
    if (!this.#run || this.#run.done) return false;
    return signalGroup(this.#run.pid, sig);
  }

  /**
   * Sends `sig` (default the stop signal) to the group and resolves once the command and every
   * process left in its group are gone; whatever is still alive after `killTimeoutMs` is SIGKILLed.
   * A second call while stopping sends the signal again but keeps the first deadline.
   */
  stop(sig: NodeJS.Signals = this.stopSignal): Promise<void> {
    const run = this.#run;
    if (!run || (run.done && !run.stopping)) return Promise.resolve();
    try {
      signalGroup(run.pid, sig);
    } catch (error) {
      return Promise.reject(error);
    }
    run.stopping ??= this.#escalate(run);
    return run.stopping;
  }

  async #escalate(run: Run): Promise<void> {
    const waits = new AbortController();
    const signal = AbortSignal.any([this.#lifetime.signal, waits.signal]);
    const expired = delay(this.killTimeoutMs, 'expired', signal);
    try {
      let outcome = await Promise.race([run.exited.then(() => 'exited' as const), expired]);
      // The leader is gone; grandchildren that outlive it get the same deadline. kill(0) alone
      // would count zombies, so live members are read from /proc.
      while (outcome === 'exited' && groupHasLiveMembers(run.pid)) {
        outcome = await Promise.race([delay(20, 'exited', signal), expired]);
      }
      if (outcome === 'expired') {
        this.emit('kill', run.pid, this.killTimeoutMs);
        signalGroup(run.pid, 'SIGKILL');
        await run.exited;
      }
    } finally {
      waits.abort();
    }
  }

  /** Stops the command (as `stop()`), then starts it again; resolves with the new pid. */
  restart(): Promise<number> {
    this.#restarting ??= (async () => {
      try {
        await this.stop();
        return await this.start();
      } finally {
        this.#restarting = undefined;
      }
    })();
    return this.#restarting;
  }

  /** Stops the command if it runs and ends every wait; idempotent, the same promise every time. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.#restarting?.catch(() => {});
        await this.stop();
      } finally {
        this.#lifetime.abort();
      }
    })();
    return this.#closed;
  }
}

// If keyplate itself dies (an uncaught error) while commands run, their detached groups get their
// stop signal rather than running on unsupervised. One process 'exit' listener serves every Child.
const stopOnKeyplateExit = new Map<number, NodeJS.Signals>();
process.once('exit', () => {
  for (const [pgid, sig] of stopOnKeyplateExit) {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  }
});

/** kill(-pgid): false when the group no longer exists. */
function signalGroup(pgid: number, sig: NodeJS.Signals): boolean {
  return kill(-pgid, sig, `process group ${pgid}`);
}

/** kill(pid): false when the process no longer exists. */
function signalProcess(pid: number, sig: NodeJS.Signals): boolean {
  return kill(pid, sig, `pid ${pid}`);
}

function kill(target: number, sig: NodeJS.Signals, what: string): boolean {
  try {
    process.kill(target, sig);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw new ChildError(`cannot send ${sig} to ${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** A timer on `signal` that resolves with 'aborted' instead of rejecting, so races can drop it. */
function delay<T extends string>(ms: number, value: T, signal: AbortSignal): Promise<T | 'aborted'> {
  return sleep(ms, value, { signal }).catch(() => 'aborted' as const);
}

// Signals that keyplate does not pass on: uncatchable ones, faults and limits about keyplate's own
// execution, terminal I/O stops that the kernel aims at keyplate's own reads and writes, SIGPIPE
// from keyplate's own writes, V8's profiler tick, and SIGCHLD, which reports keyplate's children.
const NOT_FORWARDED = new Set<string>([
  'SIGKILL', 'SIGSTOP', 'SIGCHLD', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGABRT',
  'SIGSYS', 'SIGXCPU', 'SIGXFSZ', 'SIGTTIN', 'SIGTTOU', 'SIGPIPE', 'SIGPROF',
]);

/** Every signal keyplate passes to the command, one name per number, minus `reloadSignal`. */
export function forwardableSignals(reloadSignal: NodeJS.Signals | null = null): NodeJS.Signals[] {
  const blocked = new Set([...NOT_FORWARDED].map((name) => constants.signals[name as NodeJS.Signals]));
  if (reloadSignal) blocked.add(constants.signals[reloadSignal]);
  const byNumber = new Map<number, NodeJS.Signals>();
  for (const [name, number] of Object.entries(constants.signals) as [NodeJS.Signals, number][]) {
    if (!blocked.has(number) && !byNumber.has(number)) byNumber.set(number, name);
  }
  return [...byNumber.values()];
}

export interface ForwardOptions {
  /** The signal keyplate keeps for its own reload; it is not forwarded. */
  reloadSignal?: NodeJS.Signals | null;
  /** Called after each forwarded signal, e.g. so the CLI stops its watch loops on SIGTERM. */
  onSignal?: (sig: NodeJS.Signals) => void;
}

/**
 * Passes every forwardable signal keyplate receives to the child's group. SIGTERM and SIGINT
 * also start `stop()`'s kill-timeout escalation. While installed, those signals no longer kill
 * keyplate itself: it exits when the command does. Returns an idempotent dispose.
 */
export function forwardSignals(child: Child, options: ForwardOptions = {}): () => void {
  const forward = (sig: NodeJS.Signals): void => {
    try {
      if (sig === 'SIGTERM' || sig === 'SIGINT') void child.stop(sig).catch(() => {});
      else child.signalGroup(sig);
    } catch {
      // The group vanished between the check and kill(); nothing left to tell.
    }
    options.onSignal?.(sig);
  };
  const signals = forwardableSignals(options.reloadSignal ?? null);
  for (const sig of signals) process.on(sig, forward);
  return () => {
    for (const sig of signals) process.off(sig, forward);
  };
}

/** True when `file` (resolved against `cwd`) is a directory: spawn reports one as EACCES, like a file without +x. */
function isDirectory(file: string, cwd: string | undefined): boolean {
  try {
    return statSync(resolve(cwd ?? process.cwd(), file)).isDirectory();
  } catch {
    return false;
  }
}
