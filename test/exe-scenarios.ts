// Scenarios that both executables (exe.test.ts: glibc; exe-musl.test.ts: musl, through its loader) are put through.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { readIfExists, waitFor } from './util.js';

/** A running executable as those files start it: the process, its end, and what it printed so far. */
export interface RunningExe {
  child: ChildProcess;
  exited: Promise<{ code: number | null }>;
  output(): string;
}

/** Starts `command` (the executable, or a loader and it) with `args`, collecting what it prints until it exits. */
export function startExe(command: readonly string[], args: readonly string[], options: { env: NodeJS.ProcessEnv; cwd?: string }) {
  const child = spawn(command[0], [...command.slice(1), ...args], { env: options.env, cwd: options.cwd });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, exited, output: () => stderr };
}

/** Watch mode: `out` first reads `first`, then `then` once `put` has run; SIGTERM then ends the run with exit 0. */
export async function followsOnePut(kp: RunningExe, out: string, [first, then]: [string, string], put: () => unknown): Promise<void> {
  try {
    await waitFor(() => readIfExists(out) === first, 10_000, `first render (${kp.output()})`);
    await put(); // a promise, or a thenable such as etcd3's PutBuilder
    await waitFor(() => readIfExists(out) === then, 10_000, `the put (${kp.output()})`);
  } finally {
    kp.child.kill('SIGTERM');
  }
  expect((await kp.exited).code).toBe(0);
}

/** A run that ended well: no ERROR line, exit 0, and `file` holding `text`. */
export function expectRendered(r: { stderr: string; code: number | null }, file: string, text: string): void {
  expect(r.stderr).not.toMatch(/ERROR/);
  expect(r.code).toBe(0);
  expect(readFileSync(file, 'utf8')).toBe(text);
}
