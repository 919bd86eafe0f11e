// keyplate's own signals: SIGTERM and SIGINT stop the run, the reload signal (SIGHUP by default) re-reads the confdir,
// SIGUSR1, SIGUSR2 and SIGHUP (when it is not the reload signal) are said and ignored.
// While a command runs, SIGTERM and SIGINT belong to it instead (src/process/child.ts forwards them).
import type { Logger } from '../ops/log.js';
import { killRunningCommands, runningCommands } from '../process/commands.js';

/**
 * The stop signals' numbers (the same on every POSIX system), for the 128+N exit code; node:os costs ~4 ms to load.
 * SIGQUIT too: some images stop their program with it (nginx's STOPSIGNAL), and keyplate may be waiting before it.
 */
const stopSignalNumbers = { SIGINT: 2, SIGTERM: 15, SIGQUIT: 3 } as const;

/**
 * Catchable signals whose default action ends a process (Linux), that keyplate gives no meaning to: said and ignored
 * rather than a silent death (or, for SIGUSR1, Node's inspector). Not SIGPROF (V8's profiler) nor faults.
 */
const ignorable: readonly NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2', 'SIGHUP', 'SIGALRM', 'SIGVTALRM', 'SIGIO', 'SIGPWR', 'SIGSTKFLT', 'SIGXCPU'];

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
  /** Where the first stop signal says what the stop waits for (a running check_cmd or reload_cmd). */
  log?: Logger;
  /** The command that takes the other signals once it runs (forwarded), for the line that says so before. */
  commandName?: string;
}

/** Handlers installed on the process, until released. */
export interface SignalWiring {
  /** Let go of SIGTERM, SIGINT and the ignored signals (a started command's forwarding takes them); the reload signal stays. */
  releaseStop(): void;
  /** Let go of every signal; idempotent. */
  dispose(): void;
}

/**
 * Install the handlers: from now on SIGTERM and SIGINT no longer kill keyplate outright; it stops in order. While a
 * check_cmd or reload_cmd runs, the first stop signal logs what the stop waits for and for how long at most; a second
 * one kills those commands' process groups (killRunningCommands) so the run ends at once.
 */
export function wireSignals({ onStop, reloadSignal, onReload, log, commandName }: SignalHandlers): SignalWiring {
  let stopsSeen = 0;
  const stop = (signal: StopSignal): void => {
    onStop(signal);
    stopsSeen += 1;
    const { labels, remainingMs } = runningCommands();
    if (labels.length === 0) return;
    const what = labels.join(' and ');
    if (stopsSeen === 1) {
      const most = Math.ceil(remainingMs / 1000);
      log?.warn(`stopping: waiting for ${what} to finish (at most ${most}s); press Ctrl-C again to stop it now`);
    } else {
      log?.warn(`stopping now: killing ${what}`);
      killRunningCommands();
    }
  };
  const stops = (Object.keys(stopSignalNumbers) as StopSignal[]).map((signal) => [signal, () => stop(signal)] as const);
  for (const [signal, handler] of stops) process.on(signal, handler);
  const reload = (): void => onReload?.();
  if (reloadSignal) process.on(reloadSignal, reload);
  // Signals keyplate gives no meaning to would end it without a word (SIGUSR2, SIGHUP) or open Node's inspector on
  // 127.0.0.1:9229 (SIGUSR1: every value in memory, to anything in the pod): said and ignored, until a command's
  // forwarding takes them.
  const ignored = ignorable.filter((sig) => sig !== reloadSignal);
  const ignore = (sig: NodeJS.Signals): void => {
    const later = commandName ? `; once ${commandName} runs, it goes to ${commandName}` : '';
    const reload = reloadSignal ? ` and re-reads its confdir on ${reloadSignal}` : commandName ? ' (--reload-signal names a signal that makes it re-read its confdir)' : '';
    log?.warn(`ignoring ${sig}${later}: keyplate stops on SIGTERM, SIGINT or SIGQUIT${reload}`);
  };
  for (const sig of ignored) process.on(sig, ignore);
  let stopReleased = false;
  const releaseStop = (): void => {
    if (stopReleased) return;
    stopReleased = true;
    for (const [signal, handler] of stops) process.off(signal, handler);
    for (const sig of ignored) process.off(sig, ignore);
  };
  return {
    releaseStop,
    dispose: () => {
      releaseStop();
      if (reloadSignal) process.off(reloadSignal, reload);
    },
  };
}
