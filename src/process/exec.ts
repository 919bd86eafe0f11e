// keyplate's last act: become the user's command (execve, same pid) where Node can, else supervise it.
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { Child, ChildError, forwardSignals, type ChildOptions } from './child.js';

export type ExecMode = 'execve' | 'child';

export interface ExecOptions extends ChildOptions {
  /** 'auto' (default) uses execve when the runtime has it; 'child' always supervises. */
  mode?: 'auto' | ExecMode;
  /** Child mode only: the signal keyplate keeps for itself instead of forwarding. */
  reloadSignal?: NodeJS.Signals | null;
  /** Told which path is taken, before it is taken (execve never returns to tell). */
  onMode?: (mode: ExecMode, file: string) => void;
  /** Child mode only: the supervised Child, once started. */
  onChild?: (child: Child) => void;
}

export interface ExecOutcome {
  mode: 'child';
  /** The command's exit code as a shell maps it (128+N after signal N), for keyplate to exit with. */
  exitCode: number;
}

type Execve = (file: string, args?: readonly string[], env?: Record<string, string>) => never;

/** process.execve exists from Node 22.15 and 23.11, on POSIX systems. */
export function canExecve(): boolean {
  return typeof (process as { execve?: unknown }).execve === 'function';
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** What execvp(3) would run for `name`: a path as given, else the first executable on PATH. */
export function resolveCommand(name: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (name.includes('/')) {
    const path = resolve(cwd, name);
    return isExecutableFile(path) ? path : undefined;
  }
  // As execvp: an empty PATH entry is the current directory; no PATH at all means the default.
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    const path = resolve(cwd, join(dir || '.', name));
    if (isExecutableFile(path)) return path;
  }
  return undefined;
}

/** Why `name` (which resolveCommand did not find) cannot run, as a shell says it: 126 when it is there, 127 when not. */
function notRunnable(name: string, cwd: string): ChildError {
  if (!name.includes('/')) return new ChildError(`command \`${name}\`: not found on PATH`, { exitCode: 127 });
  const path = resolve(cwd, name);
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    return new ChildError(`command \`${name}\`: no such file at ${path}`, { exitCode: 127 });
  }
  const why = directory ? 'is a directory, not a program; name the program to run after `--`' : 'not executable; chmod +x it, or run it through its interpreter';
  return new ChildError(`command \`${name}\`: ${why}`, { exitCode: 126 });
}

/**
 * Puts back what Node changed in the process and execve would hand on. Node sets SIGPIPE and
 * SIGXFSZ to "ignore", and an ignored signal stays ignored across execve while a handled one
 * reverts to its default, so a no-op listener gives the command the default back. Node also
 * makes stdout/stderr pipes non-blocking, a flag that lives on the shared open file; many
 * programs fail with EAGAIN on such a stdout, so it is made blocking again.
 */
function restoreProcessForExec(): void {
  for (const sig of ['SIGPIPE', 'SIGXFSZ'] as const) process.on(sig, () => {});
  for (const stream of [process.stdout, process.stderr]) {
    const handle = (stream as unknown as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle;
    handle?.setBlocking?.(true);
  }
}

/**
 * Runs `command` as keyplate's successor. With process.execve the command replaces keyplate:
 * same pid, so as PID 1 it becomes init, with its own signals and zombie reaping; this never
 * returns. Otherwise the command runs as a supervised Child with every forwardable signal
 * passed to its group, and this resolves with its exit code once it (and its group) is gone.
 */
export async function execOrRun(command: readonly string[], options: ExecOptions = {}): Promise<ExecOutcome> {
  const [name, ...args] = command;
  if (name === undefined || name === '') {
    throw new ChildError('command: expected a program to run after `--`, got nothing', { exitCode: 2 });
  }
  const env = options.env ?? process.env;
  const mode: ExecMode = options.mode === 'child' || !canExecve() ? 'child' : 'execve';

  if (mode === 'execve') {
    const cwd = options.cwd ?? process.cwd();
    const file = resolveCommand(name, env, cwd);
    if (!file) throw notRunnable(name, cwd);
    options.onMode?.('execve', file);
    if (options.cwd) process.chdir(options.cwd);
    restoreProcessForExec();
    const strings = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
    try {
      (process as unknown as { execve: Execve }).execve(file, [name, ...args], strings);
    } catch (error) {
      throw new ChildError(`command \`${file}\`: execve failed: ${(error as Error).message}`, { cause: error, exitCode: 126 });
    }
  }

  options.onMode?.('child', name);
  const child = new Child(command, options);
  const stopForwarding = forwardSignals(child, { reloadSignal: options.reloadSignal ?? null });
  try {
    await child.start();
    options.onChild?.(child);
    return { mode: 'child', exitCode: await child.exited };
  } finally {
    // close() also waits out a SIGTERM-started escalation on the group's stragglers.
    await child.close();
    stopForwarding();
  }
}
