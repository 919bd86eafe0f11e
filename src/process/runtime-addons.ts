// Native pieces a runtime other than Node provides itself: the compiled executable (Bun, src/runtime/bun-entry.ts)
// registers them here at start; under Node nothing registers and callers use their Node-API addon.
// This module imports nothing, so the Node bundle pays nothing for it.

/** waitpid(pid, WNOHANG) on one pid, as native/reaper's addon has it (see reaper.ts). */
export interface ReaperAddon {
  reap(pid: number): { pid: number; exitCode: number | null; signal: number | null } | null;
}

let reaper: ReaperAddon | undefined;

/** Called by the runtime's entry before keyplate's main runs. */
export function setRuntimeReaper(addon: ReaperAddon): void {
  reaper = addon;
}

/** The runtime's own reaper, or undefined under Node (load native/reaper then). */
export function runtimeReaper(): ReaperAddon | undefined {
  return reaper;
}
