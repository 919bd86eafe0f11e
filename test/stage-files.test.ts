// Stage files left by a keyplate killed with SIGKILL mid-write are removed at the next start; one that a running
// keyplate holds is not. Real processes, a real kill -9 while check_cmd runs.
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, cleanupTemps, readIfExists, runCli, startCli, waitFor } from './util.js';

afterEach(cleanupTemps);

const stageFiles = (dir: string): string[] => readdirSync(path.join(dir, 'out')).filter((n) => n.includes('.keyplate-'));

/**
 * check_cmd that records its shell's pid, then waits until the test creates `go` (at most 30 s). Commands run in
 * keyplate's working directory: every run here starts in the confdir.
 */
const waitingCheck = 'check_cmd = "echo $$ > check.pid; i=0; while [ ! -e go ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"\n';
const run = (dir: string, args: string[]) => runCli([...args, ...appFlags(dir)], { cwd: dir });

/** Starts a --onetime run whose check_cmd waits, and resolves once check_cmd runs (its stage file exists). */
async function midCheck(dir: string) {
  const kp = startCli(['--onetime', ...appFlags(dir)], { cwd: dir });
  await waitFor(() => readIfExists(path.join(dir, 'check.pid')) !== '', 10_000, 'check_cmd to start');
  return { kp, checkPid: Number(readFileSync(path.join(dir, 'check.pid'), 'utf8')) };
}

describe('leftover stage files', () => {
  it('a keyplate killed with SIGKILL mid-check_cmd leaves a stage file; the next start removes it and says so', async () => {
    const dir = appConfdir({ toml: waitingCheck });
    const { kp, checkPid } = await midCheck(dir);
    kp.child.kill('SIGKILL');
    await kp.exited;
    process.kill(-checkPid, 'SIGKILL'); // check_cmd runs in its own process group, which SIGKILL does not reach
    expect(stageFiles(dir)).toHaveLength(1);

    writeFileSync(path.join(dir, 'conf.d/app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/app.conf"\nkeys = ["/app"]\n');
    const r = await run(dir, ['--onetime']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`removed 1 stage file left in ${path.join(dir, 'out')} by keyplate processes no longer running`);
    expect(readdirSync(path.join(dir, 'out'))).toEqual(['app.conf']);
  });

  it('a stage file a running keyplate holds is kept, and that keyplate still finishes its write', async () => {
    const dir = appConfdir({ toml: waitingCheck });
    const { kp } = await midCheck(dir);
    const [held] = stageFiles(dir);
    // A second keyplate, another resource in the same directory, starts while the first is mid-check.
    writeFileSync(path.join(dir, 'conf.d/app.toml'), '[template]\nsrc = "app.tmpl"\ndest = "out/other.conf"\nkeys = ["/app"]\n');
    const second = await run(dir, ['--onetime']);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toContain('removed');
    expect(stageFiles(dir)).toEqual([held]);

    writeFileSync(path.join(dir, 'go'), '');
    expect((await kp.exited).code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/app.conf'), 'utf8')).toBe('port=1\n');
    expect(stageFiles(dir)).toEqual([]);
  });

  it('--keep-stage-file, --noop and check leave leftovers alone; names of another shape are never touched', async () => {
    const dir = appConfdir();
    // pid 2^22+1 is above Linux's pid_max limit, so no process holds it.
    const leftover = path.join(dir, 'out/.app.conf.keyplate-4194305-1a2b-0');
    const foreign = path.join(dir, 'out/.app.conf.keyplate-mine-too');
    writeFileSync(leftover, 'stale');
    writeFileSync(foreign, 'not ours');
    for (const args of [['--onetime', '--keep-stage-file'], ['--onetime', '--noop'], ['check']]) {
      const r = await run(dir, args);
      expect(r.code).toBe(0);
      expect(existsSync(leftover)).toBe(true);
    }
    // The first run above wrote app.conf; an unchanged start still sweeps.
    const r = await run(dir, ['--onetime']);
    expect(r.stderr).toContain('removed 1 stage file');
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(foreign)).toBe(true);
  });

  it("keyplate 0.1's stage files (no pid in the name) are removed once they are an hour old", async () => {
    const dir = appConfdir();
    const old = path.join(dir, 'out/.app.conf.keyplate-lq3x9k2m1a0');
    const recent = path.join(dir, 'out/.app.conf.keyplate-lq3x9k2m1a1');
    writeFileSync(old, 'stale');
    writeFileSync(recent, 'maybe still in use');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    const r = await run(dir, ['--onetime']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('removed 1 stage file');
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });
});
