// Native pieces a runtime other than Node provides itself: the compiled executable (Bun, src/runtime/bun-entry.ts)
// registers them here at start; under Node nothing registers and callers use their Node-API addon.
// This module imports nothing, so the Node bundle pays nothing for it.

/** waitpid(pid, WNOHANG) on one pid, as native/reaper's addon has it (see reaper.ts). */
export interface ReaperAddon {
  reap(pid: number): { pid: number; exitCode: number | null; signal: number | null } | null;
}

/** How a runtime reaches waitpid: `open` makes the reaper, or throws saying why it cannot. */
export interface RuntimeReaper {
  /** What the reaper is made with, for messages: "Bun's FFI". */
  via: string;
  open(): ReaperAddon;
}

let reaper: RuntimeReaper | undefined;

/** Called by the runtime's entry before keyplate's main runs; `open` runs only when a reaper is needed (PID 1). */
export function setRuntimeReaper(runtime: RuntimeReaper): void {
  reaper = runtime;
}

/** The runtime's own reaper, or undefined under Node (load native/reaper then). */
export function runtimeReaper(): RuntimeReaper | undefined {
  return reaper;
}
