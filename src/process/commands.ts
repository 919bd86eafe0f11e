// check_cmd and reload_cmd: /bin/sh -c in their own process group, with a timeout that kills the whole group.

/** How a check or reload command ended. */
export interface CommandResult {
  ok: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Combined stdout and stderr, the last 16 KiB. */
  output: string;
}

const maxOutput = 16 * 1024;

/** Quote a string for /bin/sh. */
export function shellQuote(text: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `{{src}}` and confd's `{{.src}}` become the staged file's path, shell-quoted. */
export function expandSrc(command: string, stagePath: string): string {
  return command.replace(/\{\{\s*\.?src\s*\}\}/g, () => shellQuote(stagePath));
}

/** How runShell runs a command: its time limit (ms), environment and working directory. */
export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * Run `command` with /bin/sh -c in a process group of its own, output captured (the last 16 KiB); after `timeoutMs`
 * the whole group is SIGKILLed and the result says so. Never rejects: a command that cannot start is a failed result.
 */
export async function runShell(command: string, { timeoutMs, env, cwd }: RunOptions): Promise<CommandResult> {
  // Loaded on first use: most onetime runs of resources without commands never need it.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (output.length > maxOutput * 2) output = output.slice(-maxOutput);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
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
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, code: null, signal: null, timedOut, output: `${output}${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) killGroup('SIGKILL'); // grandchildren that kept the pipes open
      resolve({ ok: code === 0 && !timedOut, code, signal, timedOut, output: output.slice(-maxOutput).trimEnd() });
    });
  });
}

/** `exited with code 3`, `was killed by SIGTERM`, `timed out after 300ms and was killed`: the end of a failure message. */
export function describeFailure(result: CommandResult, timeoutMs: number): string {
  if (result.timedOut) return `timed out after ${timeoutMs}ms and was killed`;
  if (result.signal) return `was killed by ${result.signal}`;
  return `exited with code ${result.code}`;
}
