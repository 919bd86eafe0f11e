// The user's command as keyplate runs it: after --onetime, become it (exec) or supervise it; in watch mode, a
// supervised command that can be signalled and restarted, whose own exit (not a restart) is what keyplate exits with.
// When it starts and what stops it is the runner's to say (src/runner/agent.ts).
import type { Logger } from '../ops/log.js';
import type { Child, forwardSignals } from './child.js';

/** The command and how to run it. */
export interface CommandSettings {
  /** Everything after `--`. */
  argv: readonly string[];
  /** After forwarding SIGTERM or SIGINT, how long to wait before SIGKILL (ms). */
  killTimeoutMs: number;
  /** The command's environment: keyplate's own, untouched. */
  env: NodeJS.ProcessEnv;
  /** keyplate's own reload signal while the command runs (--reload-signal), kept from the command. */
  reloadSignal?: NodeJS.Signals;
  log: Logger;
}

/** The reaper matters only as PID 1 (a container without --init); elsewhere it is not even loaded. */
export async function startReaperIfInit(log: Logger): Promise<() => void> {
  if (process.pid !== 1) return () => {};
  const { startReaper } = await import('./reaper.js');
  return startReaper({ warn: (m) => log.warn(m) });
}

/**
 * --onetime -- command, after every resource rendered: become the command, or supervise it. `release` lets go of
 * keyplate's own signal handlers at the last moment: nothing waits between it and the forwarding to the command.
 */
export async function execCommand(command: CommandSettings, release: () => void): Promise<number> {
  const { execOrRun } = await import('./exec.js');
  // As PID 1 keyplate stays, as the container's init that reaps zombies, and supervises the command.
  const mode = process.pid === 1 ? 'child' : 'auto';
  release();
  const outcome = await execOrRun(command.argv, {
    mode,
    killTimeoutMs: command.killTimeoutMs,
    env: command.env,
    reloadSignal: null,
    onMode: (m, file) => command.log.debug(m === 'execve' ? `exec ${file} (keyplate is replaced, same pid)` : `running ${file} as a supervised child`),
  });
  return outcome.exitCode;
}

/** A command supervised for as long as keyplate watches: started once, signalled, restarted, forwarded to. */
export class SupervisedCommand {
  readonly #settings: CommandSettings;
  readonly #child: Child;
  readonly #forward: typeof forwardSignals;
  #restarting: Promise<unknown> | undefined;
  #stopForwarding?: () => void;

  /** The signal that ended the command's last run, when one did (for the log line that names it). */
  #lastSignal: NodeJS.Signals | null = null;

  private constructor(settings: CommandSettings, child: Child, forward: typeof forwardSignals) {
    this.#settings = settings;
    this.#child = child;
    this.#forward = forward;
    child.on('exit', (_code: number, signal: NodeJS.Signals | null) => (this.#lastSignal = signal));
    child.on('kill', (pid: number, killTimeoutMs: number) => {
      settings.log.warn(`command (pid ${pid}) still running ${killTimeoutMs / 1000}s after the stop signal (--kill-timeout): killing its process group with SIGKILL`);
    });
  }

  /** Prepare the command (child.ts loads only now, with node:child_process); nothing runs yet. */
  static async create(settings: CommandSettings): Promise<SupervisedCommand> {
    const { Child, forwardSignals } = await import('./child.js');
    return new SupervisedCommand(settings, new Child(settings.argv, { killTimeoutMs: settings.killTimeoutMs, env: settings.env }), forwardSignals);
  }

  /** True while the command runs. */
  get running(): boolean {
    return this.#child.running;
  }

  /** Start it; rejects with a ChildError (exit code 126 or 127) when it cannot run. */
  async start(): Promise<void> {
    const pid = await this.#child.start();
    this.#settings.log.info(`started ${this.#settings.argv[0]} (pid ${pid})`);
  }

  /** From now on every signal keyplate may pass on goes to the command (SIGTERM and SIGINT stop it). */
  forwardSignals(): void {
    this.#stopForwarding ??= this.#forward(this.#child, { reloadSignal: this.#settings.reloadSignal ?? null });
  }

  /** Send a resource's reload_signal to the running command. */
  signal(sig: string): void {
    this.#child.signal(sig as NodeJS.Signals);
  }

  /** Stop the command and start it again (a resource with `restart = true` changed). */
  async restart(): Promise<void> {
    const restarting = (this.#restarting = this.#child.restart());
    try {
      const pid = await restarting;
      this.#settings.log.info(`restarted ${this.#settings.argv[0]} (pid ${pid})`);
    } finally {
      this.#restarting = undefined;
    }
  }

  /** Resolves with the command's exit code (128+N after signal N) once it exits other than for a restart. */
  async exited(): Promise<number> {
    for (;;) {
      const code = await this.#child.exited;
      if (this.#restarting) {
        await this.#restarting.catch(() => {});
        if (this.#child.running) continue;
      }
      const signal = this.#lastSignal;
      this.#settings.log.info(`command exited with code ${code}${signal ? ` (killed by ${signal})` : ''}`);
      return code;
    }
  }

  /** Stop it if it runs (SIGTERM, then SIGKILL after the kill timeout) and let go of the signals; idempotent. */
  async close(): Promise<void> {
    this.#stopForwarding?.();
    await this.#child.close();
  }
}
