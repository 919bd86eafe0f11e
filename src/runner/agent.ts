// A run as the command line asks for it: the confdir, the backend and the operations server set up; the mode chosen;
// the runner, the signals and the command put together; then everything closed in order.
import { watchNote, type BackendName } from '../../backends/index.js';
import type { Config } from '../config/config.js';
import type { AgentEvents } from '../ops/events.js';
import type { Logger } from '../ops/log.js';
import type { Io } from '../ops/output.js';
import type { CommandSettings } from '../process/supervise.js';
import type { RunMode, RunnerOptions } from './run-options.js';
import { Runner } from './runner.js';
import { prepare, type Setup } from './setup.js';
import { signalExitCode, wireSignals } from './signals.js';

/**
 * once with --onetime; watch with --watch (the default for a server backend), --interval, or a command after `--`
 * (it is supervised); otherwise once. (--onetime --interval polls until every resource has rendered.)
 */
function modeOf(config: Config): RunMode {
  if (config.onetime) return 'once';
  return config.watch || config.intervalMs !== undefined || config.command.length > 0 ? 'watch' : 'once';
}

/** Run keyplate as `config` says and return the exit code; a command after `--` runs as README "Running your program" says. */
export async function runAgent(config: Config, processEnv: NodeJS.ProcessEnv, log: Logger, io: Io): Promise<number> {
  const events = config.metricsAddr ? new (await import('../ops/events.js')).AgentEvents() : undefined;
  const setup = await prepare(config, processEnv, log, io, events);
  let closeOperations: (() => Promise<void>) | undefined;
  try {
    if (events) closeOperations = await startOperations(config.metricsAddr!, events, log);
    if (setup.loaded.length === 0) log.warn(`no template resources in ${config.confdir}/conf.d; nothing to do`);
    const options = runnerOptions(config, setup);
    if (config.command.length === 0) {
      if (options.runReloads) warnNothingToSignal(setup, log);
      return await runAlone(options, config);
    }
    const command: CommandSettings = {
      argv: config.command,
      killTimeoutMs: config.killTimeoutMs,
      env: processEnv,
      reloadSignal: config.reloadSignal as NodeJS.Signals | undefined,
      log,
    };
    // Loaded only with a command: supervision, exec and the reaper are no part of a plain render's start.
    const { runCommand } = await import('./command.js');
    return await runCommand(options, command, async () => {
      await closeOperations?.();
      await setup.backend.close();
    });
  } finally {
    await closeOperations?.();
    await setup.backend.close();
  }
}

/** reload_signal and `restart` act on the command after `--`: without one (and reloads on) they would silently do nothing. */
function warnNothingToSignal({ loaded }: Setup, log: Logger): void {
  for (const { resource: r } of loaded) {
    if (r.reloadCmd || (!r.reloadSignal && !r.restart)) continue;
    const field = r.reloadSignal ? `reload_signal = "${r.reloadSignal}"` : 'restart = true';
    log.warn(`${r.name}: ${field} does nothing without a command after \`--\` (keyplate [flags] -- cmd args); use reload_cmd to reload a service keyplate does not run`);
  }
}

function runnerOptions(config: Config, { loaded, backend, backendLabel, pipeline }: Setup): RunnerOptions {
  return {
    mode: modeOf(config),
    backend,
    backendLabel,
    watchNote: modeOf(config) === 'watch' && !backend.canChange ? watchNote(backend.name as BackendName) : undefined,
    pipeline,
    confdir: config.confdir,
    prefix: config.prefix,
    templateEngine: config.templateEngine,
    resources: loaded,
    pollIntervalMs: config.intervalMs,
    waitTimeoutMs: config.waitTimeoutMs,
    backendRetryTimeoutMs: config.backendRetryTimeoutMs,
    quiescence: { minMs: config.waitMinMs, maxMs: config.waitMaxMs },
    runReloads: !config.noop && !config.syncOnly,
  };
}

async function startOperations(address: string, events: AgentEvents, log: Logger): Promise<() => Promise<void>> {
  const { startOperationsServer } = await import('../ops/http.js');
  const server = await startOperationsServer({ address, events, log });
  return server.close;
}

/**
 * No command: a watcher stopped by SIGTERM or SIGINT ends normally (exit 0); --onetime stopped before it is done
 * exits 128+N. SIGHUP (or --reload-signal) reads the confdir again in watch mode.
 */
async function runAlone(options: RunnerOptions, config: Config): Promise<number> {
  const runner = new Runner(options);
  const watch = options.mode === 'watch';
  const wiring = wireSignals({
    onStop: (sig) => runner.stop(watch ? 0 : signalExitCode(sig)),
    log: options.pipeline.log,
    reloadSignal: watch ? ((config.reloadSignal ?? 'SIGHUP') as NodeJS.Signals) : undefined,
    onReload: () => void runner.reloadConfdir('signal'),
  });
  try {
    return await runner.run();
  } finally {
    wiring.dispose();
  }
}
