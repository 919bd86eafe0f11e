// Running keyplate as PID 1 of a new pid namespace (unshare, as root), for the reaper's tests.
import { spawnSync } from 'node:child_process';
import { appFlags, baseEnv } from './util.js';

/**
 * A prefix that runs the rest of the command denied memory that was writable and then executable: perl (essential
 * on Debian) calls prctl (syscall 157 on x86_64) with PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1, as systemd's
 * MemoryDenyWriteExecute does with seccomp, then execs. JavaScriptCore runs without its JIT there, and Bun's FFI
 * refuses to work ("bun:ffi requires the JIT").
 */
export const denyWriteExecute = ['perl', '-e', 'syscall(157, 65, 1, 0, 0, 0) == 0 or die "prctl(PR_SET_MDWE): $!\\n"; exec @ARGV or die "exec: $!\\n"'];

/** `command` (keyplate) as PID 1 on `dir` (test/util.ts's appConfdir), running `sh -c 'sleep 0.1; exit 4'`. */
export function asPid1(command: readonly string[], dir: string) {
  const args = ['--pid', '--fork', '--mount-proc', ...command, ...appFlags(dir), '--', 'sh', '-c', 'sleep 0.1; exit 4'];
  return spawnSync('unshare', args, { env: baseEnv(), encoding: 'utf8', timeout: 20_000 });
}
