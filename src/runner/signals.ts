// keyplate's own signals: SIGTERM and SIGINT stop the run, the reload signal (SIGHUP by default) re-reads the confdir.
// While a command runs, SIGTERM and SIGINT belong to it instead (src/process/child.ts forwards them).

/** SIGINT and SIGTERM's numbers (the same on every POSIX system), for the 128+N exit code; node:os costs ~4 ms to load. */
const stopSignalNumbers = { SIGINT: 2, SIGTERM: 15 } as const;

/** A signal that stops keyplate. */
export type StopSignal = keyof typeof stopSignalNumbers;

/** 128+N, as a shell reports a process that signal N ended: 130 for SIGINT, 143 for SIGTERM. */
export function signalExitCode(signal: StopSignal): number {
  return 128 + stopSignalNumbers[signal];
}

/** What the signals do while wired. */
export interface SignalHandlers {
  /** SIGTERM or SIGINT arrived (every time one does). */
  onStop(signal: StopSignal): void;
  /** keyplate's reload signal, or none (with a command, SIGHUP is the command's unless --reload-signal names it). */
  reloadSignal?: NodeJS.Signals;
  onReload?(): void;
}

/** Handlers installed on the process, until released. */
export interface SignalWiring {
  /** Let go of SIGTERM and SIGINT (a started command's forwarding takes them); the reload signal stays. */
  releaseStop(): void;
  /** Let go of every signal; idempotent. */
  dispose(): void;
}

/** Install the handlers: from now on SIGTERM and SIGINT no longer kill keyplate outright; it stops in order. */
export function wireSignals({ onStop, reloadSignal, onReload }: SignalHandlers): SignalWiring {
  const stops = (Object.keys(stopSignalNumbers) as StopSignal[]).map((signal) => [signal, () => onStop(signal)] as const);
  for (const [signal, handler] of stops) process.on(signal, handler);
  const reload = (): void => onReload?.();
  if (reloadSignal) process.on(reloadSignal, reload);
  let stopReleased = false;
  const releaseStop = (): void => {
    if (stopReleased) return;
    stopReleased = true;
    for (const [signal, handler] of stops) process.off(signal, handler);
  };
  return {
    releaseStop,
    dispose: () => {
      releaseStop();
      if (reloadSignal) process.off(reloadSignal, reload);
    },
  };
}
