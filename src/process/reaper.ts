// As PID 1, reaps the orphaned zombies re-parented to keyplate, leaving Node's own children to libuv.
//
// Why: in a container started without `--init`, keyplate is PID 1, and every process in the
// container whose parent dies is re-parented to it. libuv only waitpid()s the pids it spawned,
// so those orphans would stay zombies, each holding a pid, for as long as the container lives.
// Elsewhere orphans go to the real init (or a subreaper) and startReaper() does nothing.
//
// How: on SIGCHLD and on a slow timer, list keyplate's children (/proc/self/task/*/children,
// else a scan of /proc/*/stat), keep the zombies that Node did not spawn, and waitpid(pid,
// WNOHANG) each of them through the addon in native/reaper. A wait on one named pid never
// consumes another child's exit status, so child_process 'exit' events, and the exit code
// keyplate reports, stay correct. Deciding and reaping happen in one synchronous turn, and
// spawn() returns with the pid known before any other JS runs, so a Node child cannot be
// mistaken for an orphan. Children spawned by worker threads or other addons are not tracked.
import type { ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { setInterval } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { writeOut } from '../ops/output.js';
import { runtimeReaper } from './runtime-addons.js'; // keyplate:runtime: the compiled executable's waitpid (Bun FFI)

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), T, … as in proc(5). */
  state: string;
  ppid: number;
  pgrp: number;
}

/** /proc/<pid>/stat's first fields; undefined once the process is gone (or off Linux). */
export function readProcStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name may hold spaces and parentheses: the fields start after the last ')'.
  const [state = '', ppid, pgrp] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid: Number(pid), state, ppid: Number(ppid), pgrp: Number(pgrp) };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Whether any process in group `pgid` is alive; kill(-pgid, 0) alone would count zombies too. */
export function groupHasLiveMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  try {
    return allPids().some((pid) => {
      const stat = readProcStat(pid);
      return stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z';
    });
  } catch {
    return true; // no /proc: the group exists, assume it lives
  }
}

/** keyplate's children that have exited and wait to be reaped. */
function zombieChildren(): number[] {
  let children: number[];
  try {
    const tasks = readdirSync('/proc/self/task');
    children = tasks.flatMap((task) =>
      readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    // Kernels built without CONFIG_PROC_CHILDREN: find our children by their ppid.
    children = allPids().filter((pid) => readProcStat(pid)?.ppid === process.pid);
  }
  return children.filter((pid) => readProcStat(pid)?.state === 'Z');
}

// Every ChildProcess Node creates is published on this channel, whoever spawns it (Child, a
// check or reload command, execa). Subscribed at import, so children spawned before
// startReaper() are known too. A process leaves the set once libuv has reaped it ('exit'), or
// when it never ran ('close' follows a failed spawn).
const spawnedByNode = new Set<ChildProcess>();
subscribe('child_process', (message) => {
  const proc = (message as { process: ChildProcess }).process;
  const forget = (): void => void spawnedByNode.delete(proc);
  spawnedByNode.add(proc);
  proc.once('exit', forget);
  proc.once('close', forget);
});

/** Whether Node's child_process spawned `pid` and libuv has not reaped it yet. */
export function isSpawnedByNode(pid: number): boolean {
  for (const proc of spawnedByNode) if (proc.pid === pid) return true;
  return false;
}

export interface ReapedOrphan {
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

interface ReaperAddon {
  reap(pid: number): { pid: number; exitCode: number | null; signal: number | null } | null;
}

export interface ReaperOptions {
  /** Pids never to reap, beyond those Node's child_process spawned (always left to libuv). */
  isOwnChild?: (pid: number) => boolean;
  /** Reap even when not PID 1 (tests, or a process made a subreaper). */
  force?: boolean;
  /** The slow sweep that catches SIGCHLDs coalesced or missed, in ms. Default 5 000. */
  interval?: number;
  /** Default: native/reaper/build/Release/reaper.node beside src/ or dist/. */
  addonPath?: string;
  warn?: (message: string) => void;
  onReap?: (orphan: ReapedOrphan) => void;
}

const defaultAddonPath = fileURLToPath(new URL('../native/reaper/build/Release/reaper.node', import.meta.url));
const addonBuildScript = fileURLToPath(new URL('../native/reaper/build.mjs', import.meta.url));
let warnedNoAddon = false;

/**
 * The runtime's waitpid (the compiled executable: Bun's FFI), else native/reaper's Node-API addon at `addonPath`;
 * undefined after one warning that says what failed and what the user can do about it. The executable has no
 * addon to build, so its advice is an init process alone; under Node, building the addon is the other way out.
 */
function loadAddon(addonPath: string, warn: (message: string) => void): ReaperAddon | undefined {
  const runtime = runtimeReaper(); // keyplate:runtime: the compiled executable brings its own waitpid
  try {
    return runtime ? runtime.open() : (createRequire(import.meta.url)(addonPath) as ReaperAddon);
  } catch (error) {
    if (warnedNoAddon) return undefined;
    warnedNoAddon = true;
    const reason = (error as Error).message.split('\n')[0];
    const consequence = 'running as PID 1, orphaned processes will not be reaped and will stay zombies; run the container with `docker run --init`';
    if (runtime) {
      warn(`reaper: cannot call waitpid through ${runtime.via} (${reason}): ${consequence} (or make an init such as tini the entrypoint, with keyplate after it)`);
    } else {
      warn(`reaper: cannot load ${addonPath} (${reason}): ${consequence}, or build the addon with \`node ${addonBuildScript}\` (needs python3, make and a C compiler)`);
    }
    return undefined;
  }
}

function signalName(number: number): NodeJS.Signals | null {
  const entry = Object.entries(constants.signals).find(([, n]) => n === number);
  return (entry?.[0] as NodeJS.Signals | undefined) ?? null;
}

/** Starts reaping orphans when keyplate is PID 1 (or `force`); returns an idempotent dispose. */
export function startReaper(options: ReaperOptions = {}): () => void {
  if (process.platform !== 'linux' || (process.pid !== 1 && !options.force)) return () => {};
  const warn = options.warn ?? ((message: string) => writeOut(2, `keyplate: ${message}\n`));

  const addon = loadAddon(options.addonPath ?? defaultAddonPath, warn);
  if (!addon) return () => {};

  const isOwn = (pid: number): boolean => isSpawnedByNode(pid) || (options.isOwnChild?.(pid) ?? false);
  const sweep = (): void => {
    try {
      for (const pid of zombieChildren()) {
        if (isOwn(pid)) continue;
        const reaped = addon.reap(pid);
        if (reaped) {
          options.onReap?.({ pid: reaped.pid, exitCode: reaped.exitCode, signal: reaped.signal === null ? null : signalName(reaped.signal) });
        }
      }
    } catch (error) {
      warn(`reaper: sweep failed: ${(error as Error).message}`);
    }
  };

  const lifetime = new AbortController();
  process.on('SIGCHLD', sweep);
  lifetime.signal.addEventListener('abort', () => process.off('SIGCHLD', sweep), { once: true });
  void (async () => {
    try {
      // Unreferenced: the sweep alone never keeps keyplate alive.
      for await (const _ of setInterval(options.interval ?? 5_000, undefined, { signal: lifetime.signal, ref: false })) sweep();
    } catch {
      // aborted by dispose
    }
  })();
  sweep(); // orphans that died before we started listening
  return () => lifetime.abort();
}
