// Signals keyplate gives no meaning to: SIGUSR1 would open Node's inspector on 127.0.0.1:9229 (every value in memory,
// to anything that can reach the port), SIGUSR2 and a SIGHUP that is not the reload signal would end keyplate without a
// word. Each is said and ignored, until a started command's forwarding takes it.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, cleanupTemps, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

/** TCP ports `pid` listens on, from /proc (no ss needed). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of execFileSync('ls', ['-l', `/proc/${pid}/fd`], { encoding: 'utf8' }).matchAll(/socket:\[(\d+)\]/g)) inodes.add(fd[1]);
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of execFileSync('cat', [table], { encoding: 'utf8' }).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A' && inodes.has(cols[9])) ports.push(parseInt(cols[1].split(':')[1], 16));
    }
  }
  return ports;
}

describe('signals with no meaning to keyplate', () => {
  it('SIGUSR1, and SIGHUP when SIGUSR2 is the reload signal, are said and ignored: the watch goes on, no inspector opens', async () => {
    const dir = appConfdir();
    const { code, out } = await whileRunning(['--watch', ...appFlags(dir), '--reload-signal', 'SIGUSR2'], {}, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('watching 1 resource'), 10_000, 'watching');
      for (const sig of ['SIGUSR1', 'SIGHUP', 'SIGALRM'] as const) kp.child.kill(sig);
      await waitFor(() => (kp.out.stderr.match(/ignoring SIG/g) ?? []).length === 3, 5_000, 'all three said');
      await new Promise((r) => setTimeout(r, 300));
      expect(kp.child.exitCode).toBe(null);
      expect(listeningPorts(kp.child.pid!)).toEqual([]);
    });
    expect(out.stderr).toContain('WARN  ignoring SIGUSR1: keyplate stops on SIGTERM, SIGINT or SIGQUIT and re-reads its confdir on SIGUSR2');
    expect(out.stderr).toContain('WARN  ignoring SIGALRM:');
    expect(out.stderr).toContain('WARN  ignoring SIGHUP:');
    expect(code).toBe(0);
  });

  it('with a command that has not started yet (a key is missing), SIGHUP is said to go to it once it runs', async () => {
    const dir = appConfdir({ env: 'OTHER=1\n' });
    const { out } = await whileRunning(['--watch', ...appFlags(dir), '--', 'sleep', '30'], {}, async (kp) => {
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');
      kp.child.kill('SIGHUP');
      await waitFor(() => kp.out.stderr.includes('ignoring SIGHUP'), 5_000, 'said');
      expect(kp.child.exitCode).toBe(null);
    });
    expect(out.stderr).toContain('WARN  ignoring SIGHUP; once sleep runs, it goes to sleep: keyplate stops on SIGTERM, SIGINT or SIGQUIT (--reload-signal names a signal that makes it re-read its confdir)');
  });
});
