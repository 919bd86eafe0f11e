// Shared test helpers: temp confdirs on the real filesystem, and the built CLI run as a process.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliPath = path.join(root, 'dist', 'keyplate.cjs');
/** The compiled executable for this machine (`npm run build:exe`, scripts/build-exe.mjs). */
export const exePath = path.join(root, 'exe', 'keyplate-linux-x64');
/**
 * Which keyplate the process-level tests run: `node dist/keyplate.cjs`, or with KEYPLATE_TEST_BIN=exe the compiled
 * executable (vitest.config.ts runs those test files once per binary, as the projects `node` and `exe`).
 */
export const testBinary: 'node' | 'exe' = process.env.KEYPLATE_TEST_BIN === 'exe' ? 'exe' : 'node';
/** The command line that starts keyplate, before its own arguments. */
export const keyplateCommand: readonly string[] = testBinary === 'exe' ? [exePath] : [process.execPath, cliPath];

/**
 * A current Node (24, with process.execve and module.enableCompileCache), from the npm registry into
 * .servers/node by scripts/install-node-current.sh (which `npm test` runs first; quick when installed).
 */
export function currentNode(): string {
  return execFileSync('bash', [path.join(root, 'scripts', 'install-node-current.sh')], { encoding: 'utf8' }).trim();
}

const temps: string[] = [];

export function tempDir(prefix = 'keyplate-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function cleanupTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A confdir from a map of relative paths to contents; `out/` is created for destinations. */
export function makeConfdir(files: Record<string, string>, base = tempDir()): string {
  mkdirSync(path.join(base, 'conf.d'), { recursive: true });
  mkdirSync(path.join(base, 'templates'), { recursive: true });
  mkdirSync(path.join(base, 'out'), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(base, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return base;
}

/**
 * The confdir most CLI tests need: one resource (conf.d/app.toml → out/app.conf) reading keys under /app, its
 * template, and a dev.env with the values (see appFlags). `toml` adds lines to the resource.
 */
export function appConfdir({ template = 'port={{getv "/app/port"}}\n', env = 'APP_PORT=1\n', toml = '' } = {}): string {
  return makeConfdir({
    'conf.d/app.toml': `[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n${toml}`,
    'templates/app.tmpl': template,
    'dev.env': env,
  });
}

/** The flags that point keyplate at an appConfdir: its confdir and its dev.env. */
export function appFlags(dir: string): string[] {
  return ['--confdir', dir, '--env-file', path.join(dir, 'dev.env')];
}

/** A file's text, or '' while it does not exist (for waitFor on files keyplate writes). */
export function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export function copyFixture(name: string): string {
  const dir = tempDir();
  cpSync(path.join(root, 'test', 'fixtures', name), dir, { recursive: true });
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  return dir;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: nothing from the developer's shell leaks into a test. */
export function baseEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, KEYPLATE_CACHE_DIR: 'off', ...extra };
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(keyplateCommand[0], [...keyplateCommand.slice(1), ...args], { env: options.env ?? baseEnv(), cwd: options.cwd ?? root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Start the CLI and keep it running; for watch-mode tests. */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const child = spawn(keyplateCommand[0], [...keyplateCommand.slice(1), ...args], { env: options.env ?? baseEnv(), cwd: options.cwd ?? root });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c) => (out.stdout += c));
  child.stderr.on('data', (c) => (out.stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, out, exited };
}

export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** confd's integration data set as env variables. */
export const confdEnv = {
  KEY: 'foobar',
  DATABASE_HOST: '127.0.0.1',
  DATABASE_PASSWORD: 'p@sSw0rd',
  DATABASE_PORT: '3306',
  DATABASE_USERNAME: 'confd',
  UPSTREAM_APP1: '10.0.1.10:8080',
  UPSTREAM_APP2: '10.0.1.11:8080',
  HOSTNAME: 'localhost',
};

export type RunningCli = ReturnType<typeof startCli>;

/**
 * Start keyplate, run `body` while it runs, then stop it with `stopSignal` (also when `body` throws) and
 * resolve with how it exited and what it printed.
 */
export async function whileRunning(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; stopSignal?: NodeJS.Signals },
  body: (kp: RunningCli) => Promise<void>,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: RunningCli['out'] }> {
  const kp = startCli(args, options);
  try {
    await body(kp);
  } finally {
    kp.child.kill(options.stopSignal ?? 'SIGTERM');
  }
  return { ...(await kp.exited), out: kp.out };
}
