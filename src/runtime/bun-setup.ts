// What keyplate needs from the runtime that Bun provides differently from Node; loaded only by the compiled
// executable (src/runtime/bun-entry.ts), never by the Node bundle.
//
// - The reaper (src/reaper.ts) learns of every child Node spawns from the `child_process` diagnostics channel;
//   Bun 1.4.5 publishes nothing there (a subscriber counted no spawn), so the reaper would take Bun's own
//   children for orphans: a sweep that ran between a child's exit and Bun's own wait for it would steal its
//   exit status. (Bun usually waits first: with this publishing switched off, keyplate as PID 1 still kept
//   the command's code in three runs; a race, not a guarantee.) Every spawn goes through
//   ChildProcess.prototype.spawn, so publishing from there gives the reaper Node's knowledge, in the same turn.
// - waitpid(2), which Node reaches through native/reaper's Node-API addon, is called through Bun's FFI on the
//   C library Bun itself is linked against (glibc or musl).
import { ChildProcess } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { dlopen, FFIType, ptr } from 'bun:ffi';
import { setRuntimeReaper, type ReaperAddon } from '../process/runtime-addons.js';

const spawned = channel('child_process');
// Undocumented in @types/node, but where both Node and Bun start every child.
const proto = ChildProcess.prototype as unknown as { spawn: (this: ChildProcess, ...args: unknown[]) => unknown };
const spawn = proto.spawn;
proto.spawn = function (...args) {
  const result = spawn.apply(this, args);
  if (this.pid !== undefined) spawned.publish({ process: this });
  return result;
};

// glibc's soname, then musl's (the name Alpine's musl package links the loader as).
const libcNames = ['libc.so.6', 'libc.musl-x86_64.so.1', 'libc.musl-aarch64.so.1'];
const WNOHANG = 1;

/**
 * waitpid through Bun's FFI on the first C library that opens; throws the failure that says why (a library that
 * opened but could not be called, such as "bun:ffi requires the JIT"), else the first library's.
 */
function openWaitpid(): (pid: number, status: Int32Array) => number {
  const failures: string[] = [];
  for (const name of libcNames) {
    try {
      const lib = dlopen(name, { waitpid: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i32 } });
      return (pid, status) => lib.symbols.waitpid(pid, ptr(status), WNOHANG) as number;
    } catch (error) {
      failures.push(`${name}: ${String((error as Error).message ?? error).split('\n')[0]}`);
    }
  }
  throw new Error(failures.find((failure) => !failure.includes('Failed to open library')) ?? failures[0]);
}

/**
 * reap(pid): waitpid(pid, WNOHANG) on that one pid, decoded as <sys/wait.h> does: WIFEXITED when the low
 * 7 bits are 0 (code in bits 8-15), else WIFSIGNALED with the signal in the low 7 bits. null when the pid is
 * still running, or is not (or no longer) our child (-1, ECHILD), as the addon answers. Opened only when keyplate
 * needs a reaper (PID 1). Bun's FFI requires JavaScriptCore's JIT, which a process denied writable-then-executable
 * memory (systemd's MemoryDenyWriteExecute, prctl PR_SET_MDWE) runs without: dlopen then throws "bun:ffi requires
 * the JIT", and reaper.ts warns (test/reaper-advice.test.ts).
 */
function ffiReaper(): ReaperAddon {
  const waitpid = openWaitpid();
  return {
    reap(pid) {
      const status = new Int32Array(1);
      const got = waitpid(pid, status);
      if (got <= 0) return null;
      const low = status[0] & 0x7f;
      return low === 0 ? { pid: got, exitCode: (status[0] >> 8) & 0xff, signal: null } : { pid: got, exitCode: null, signal: low };
    },
  };
}

setRuntimeReaper({ via: "Bun's FFI", open: ffiReaper });
