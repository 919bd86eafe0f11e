// Typing mistakes (issue 10 item 6): misspelled subcommands, flags, KEYPLATE_* variables and keyplate.toml keys get
// a did-you-mean and exit 2 (variables: a warning); a missing --env-file gets keyplate's message, not Node's.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, cliPath, currentNode, exePath, runCli, testBinary, type CliResult } from './util.js';

afterEach(cleanupTemps);

describe('a misspelled subcommand or flag', () => {
  it.each([
    ['`chek` is `keyplate check`, not a program to run', ['chek'], /unknown command `chek`; did you mean `keyplate check`\?/],
    ['`chekc` (two letters swapped)', ['chekc'], /did you mean `keyplate check`\?/],
    ['`hlep` is --help', ['hlep'], /did you mean `keyplate --help`\?/],
    ['--confidr', ['--confidr', '/x'], /unknown flag `--confidr`; .*Did you mean `--confdir`\?/],
    ['confd style -confidr keeps its single dash', ['-confidr', '/x'], /unknown flag `-confidr`; .*Did you mean `-confdir`\?/],
    ['--onetiem=true', ['--onetiem=true'], /Did you mean `--onetime`\?/],
    ["confd's -auth-token is --token", ['-auth-token', 't'], /Did you mean `-token`\?/],
    ['--log-levle', ['--log-levle', 'debug'], /Did you mean `--log-level`\?/],
  ])('%s: exit 2, nothing run', async (_name, args, message) => {
    const dir = appConfdir();
    const r = await runCli([...args, ...appFlags(dir), '--onetime']);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('put it after `--`');
    expect(r.code).toBe(2);
    expect(() => readFileSync(path.join(dir, 'out/app.conf'))).toThrow();
  });

  it('a name close to nothing is not guessed at', async () => {
    const r = await runCli(['--frobnicate']);
    expect(r.stderr).toMatch(/unknown flag `--frobnicate`; run `keyplate --help` for the list\n/);
    expect(r.code).toBe(2);
  });
});

describe('KEYPLATE_* variables keyplate does not know', () => {
  it('KEYPLATE_BACKNED=etcd: one warning with the right name, and the run goes on', async () => {
    const dir = appConfdir();
    const r = await runCli([...appFlags(dir), '--onetime'], { env: baseEnv({ KEYPLATE_BACKNED: 'etcd', KEYPLATE_WAIT_TIMOUT: '5s' }) });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('not a keyplate setting'));
    expect(warnings).toHaveLength(2);
    expect(r.stderr).toMatch(/WARN {2}environment KEYPLATE_BACKNED: not a keyplate setting, ignored; did you mean KEYPLATE_BACKEND\?/);
    expect(r.stderr).toMatch(/KEYPLATE_WAIT_TIMOUT: .*did you mean KEYPLATE_WAIT_TIMEOUT\?/);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('port=1\n');
  });

  it('documented variables that are not flags (KEYPLATE_CACHE_DIR) and every flag variable stay quiet', async () => {
    const dir = appConfdir();
    const r = await runCli([], { env: baseEnv({ KEYPLATE_CACHE_DIR: 'off', KEYPLATE_CONFDIR: dir, KEYPLATE_ENV_FILE: path.join(dir, 'dev.env'), KEYPLATE_ONETIME: 'true' }) });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('not a keyplate setting');
  });
});

describe('an unknown keyplate.toml key', () => {
  it('gets a did-you-mean and exit 2', async () => {
    const dir = appConfdir();
    writeFileSync(path.join(dir, 'keyplate.toml'), 'backedn = "env"\n');
    const r = await runCli([...appFlags(dir), '--onetime']);
    expect(r.stderr).toMatch(/keyplate\.toml: unknown setting `backedn`; did you mean `backend`\?/);
    expect(r.code).toBe(2);
  });
});

/**
 * Run keyplate as a program, the way `keyplate` on PATH runs: dist/keyplate.cjs with `node` from `nodeBin`'s
 * directory, or the compiled executable (no `nodeBin`).
 */
function runBin(nodeBin: string | undefined, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = nodeBin ? baseEnv({ PATH: `${path.dirname(nodeBin)}:${process.env.PATH}` }) : baseEnv();
    const child = spawn(nodeBin ? cliPath : exePath, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const binaries: Array<[string, () => string | undefined]> =
  testBinary === 'exe'
    ? [['the executable', () => undefined]]
    : [
        ['Node 20', () => process.execPath],
        ['a current Node', currentNode],
      ];

describe("--env-file as keyplate's flag, never Node's", () => {
  it.each(binaries)("%s: a missing file gets keyplate's message and exit 2; a present one works", async (_name, node) => {
    const nodeBin = node();
    const dir = appConfdir({ env: 'APP_PORT=7\n' });
    for (const args of [['--env-file', 'nope.env'], ['--env-file=nope.env']]) {
      const missing = await runBin(nodeBin, ['--confdir', dir, ...args, '--onetime'], dir);
      expect(missing.stderr).not.toMatch(/^node:|: not found/m);
      expect(missing.stderr).toMatch(/nope\.env: cannot read the env file \(ENOENT\); fix --env-file/);
      expect(missing.code).toBe(2);
    }
    const present = await runBin(nodeBin, ['--confdir', dir, '--env-file', 'dev.env', '--onetime'], dir);
    expect(present.stderr).not.toMatch(/ERROR|^node:/m);
    expect(present.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('port=7\n');
  });
});

// (--env-file itself: the test above, through the bin.)
describe('a missing env file: the advice names where the user set it', () => {
  it.each([
    ['KEYPLATE_ENV_FILE', (dir: string) => ({ args: [] as string[], env: { KEYPLATE_ENV_FILE: path.join(dir, 'nope.env') } }), /fix KEYPLATE_ENV_FILE$/m],
    ['keyplate.toml', (dir: string) => {
      writeFileSync(path.join(dir, 'keyplate.toml'), 'backend = "env"\nenv_file = ["nope.env"]\n');
      return { args: [] as string[], env: {} };
    }, /fix env_file in .*keyplate\.toml$/m],
  ])('%s', async (_name, set, advice) => {
    const dir = appConfdir({ env: 'APP_PORT=7\n' });
    const { args, env } = set(dir);
    const r = await runCli(['--onetime', '--confdir', dir, ...args], { env: baseEnv(env) });
    expect(r.stderr).toMatch(/nope\.env: cannot read the env file \(ENOENT\)/);
    expect(r.stderr).toMatch(advice);
    expect(r.code).toBe(2);
  });
});
