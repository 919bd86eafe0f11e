// check_cmd and reload_cmd: /bin/sh -c in their own process group, done when the shell exits, with a timeout that kills the whole group.
import type { Socket } from 'node:net';

export interface CommandResult {
  ok: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Combined stdout and stderr, the last 16 KiB (16,384 characters), after `outputCut` when more was written. */
  output: string;
}

const maxOutput = 16 * 1024;

/** Starts output of which only the last 16 KiB were kept; redactValues removes a value the cut split. */
export const outputCut = '[earlier output cut; the last 16 KiB follow]\n';

/** Quote a string for /bin/sh. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `{{src}}` and confd's `{{.src}}` become the staged file's path, shell-quoted. */
export function expandSrc(command: string, stagePath: string): string {
  return command.replace(/\{\{\s*\.?src\s*\}\}/g, () => shellQuote(stagePath));
}

export interface RunOptions {
  timeout: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** After the shell exits, output still arriving this long after the last byte belongs to its background children. */
const settleMs = 25;

/**
 * Runs `command` with /bin/sh -c in a process group of its own. Done when the shell exits: a command that
 * leaves a background child (`reload_cmd = "sleep 30 &"`, a daemon's launcher) neither holds keyplate nor is
 * killed at the timeout. The output the shell and its commands wrote before it exited is collected first: it
 * is already in the socket, and is read until the sockets close or fall quiet ({@link settleMs}, then one more
 * poll of the event loop, so a busy loop cannot cut it short). The sockets then stay open, unreferenced, so a
 * background child that writes later gets no SIGPIPE while keyplate runs; what it writes is dropped.
 */
export async function runShell(command: string, { timeout, env, cwd }: RunOptions): Promise<CommandResult> {
  // Loaded on first use: most onetime runs of resources without commands never need it.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    let output = '';
    let cut = false;
    let finished = false;
    let lastData = 0;
    const collect = (chunk: string): void => {
      if (finished) return;
      lastData = Date.now();
      output += chunk;
      if (output.length > maxOutput * 2) {
        output = output.slice(-maxOutput);
        cut = true;
      }
    };
    // Decoded per stream, so a character split between two reads stays whole.
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, timeout);
    const finish = (result: Omit<CommandResult, 'output'>, extra = ''): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const stream of [child.stdout, child.stderr]) (stream as Socket).unref();
      const kept = `${output}${extra}`.trimEnd();
      resolve({ ...result, output: cut || kept.length > maxOutput ? outputCut + kept.slice(-maxOutput) : kept });
    };
    child.on('error', (error) => finish({ ok: false, code: null, signal: null, timedOut }, error.message));
    child.on('exit', (code, signal) => {
      if (timedOut) killGroup('SIGKILL'); // grandchildren that kept the pipes open
      const result = { ok: code === 0 && !timedOut, code, signal, timedOut };
      child.on('close', () => finish(result));
      lastData = Date.now();
      const settle = (): void => {
        const quiet = Date.now() - lastData;
        if (quiet < settleMs) {
          setTimeout(settle, settleMs - quiet);
          return;
        }
        // One more poll phase reads whatever arrived while timers ran late.
        const before = lastData;
        setImmediate(() => (lastData === before ? finish(result) : settle()));
      };
      settle();
    });
  });
}

export function describeFailure(result: CommandResult, timeout: number): string {
  if (result.timedOut) return `timed out after ${timeout}ms and was killed`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.code}`;
}
