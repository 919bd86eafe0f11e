// The command line: settings → confdir → backend → onetime run or watch loop → exit code.
import { createBackend } from '../backends/index.js';
import { environmentWithFiles, processEnvironment } from '../backends/env.js';
import { BackendError, connectionKeys, type Backend, type BackendConnection, type BackendOptions } from '../backends/types.js';
import { loadConfig, type Config } from './config.js';
import { ExitCode, KeyplateError, UsageError } from './errors.js';
import { helpText } from './flags.js';
import { loadConfdir, type LoadedResource } from './load.js';
import { createLogger, type Logger } from './log.js';
import { writeOut } from './output.js';
import { reloadChanged } from './reload.js';
import { redactValues } from './redact.js';
import { sweepStageFiles } from './stage-files.js';
import { exitCodeOf, mapLimit, missingReport, processResource, readStore, resourceConcurrency, type RunContext } from './run.js';

declare const KEYPLATE_VERSION: string;
export const version = typeof KEYPLATE_VERSION === 'string' ? KEYPLATE_VERSION : '0.0.0-dev';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: Io = { stdout: (t) => writeOut(1, t), stderr: (t) => writeOut(2, t) };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = processEnvironment(), io: Io = defaultIo): Promise<number> {
  let config: Config;
  try {
    config = loadConfig({ argv, env });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`keyplate: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
  if (config.help) {
    io.stdout(helpText(version));
    return ExitCode.ok;
  }
  if (config.version) {
    io.stdout(`keyplate ${version}\n`);
    return ExitCode.ok;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat, write: io.stderr });
  try {
    return await run(config, env, log, io);
  } catch (error) {
    if (error instanceof KeyplateError) {
      log.error(error.message);
      return error.exitCode;
    }
    if (error instanceof BackendError) {
      log.error(`${error.message}`);
      return ExitCode.resourceFailed;
    }
    log.error(`unexpected failure: ${(error as Error).stack ?? error}`);
    return ExitCode.resourceFailed;
  }
}

function backendOptions(config: Config, env: NodeJS.ProcessEnv): BackendOptions {
  const connection = Object.fromEntries(connectionKeys.map((key) => [key, config[key]])) as unknown as BackendConnection;
  return { ...connection, retryTimeout: config.backendRetryTimeout, environment: env };
}

const elapsed = (since: bigint): string => `${(Number(process.hrtime.bigint() - since) / 1e6).toFixed(1)}ms`;

async function run(config: Config, env: NodeJS.ProcessEnv, log: Logger, io: Io): Promise<number> {
  const started = process.hrtime.bigint();
  const loaded = await loadConfdir({ confdir: config.confdir, prefix: config.prefix });
  log.debug(`loaded ${loaded.length} resources from ${config.confdir} in ${elapsed(started)} (${Math.round(process.uptime() * 1000)}ms since process start)`);
  if (config.subcommand !== 'check' && !config.noop && !config.keepStageFile) sweepStageFiles(loaded.map((l) => l.resource), log);
  let environment: NodeJS.ProcessEnv;
  try {
    environment = environmentWithFiles(config.envFiles, env);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  let backend: Backend;
  try {
    // The env backend gets the environment already merged with --env-file, so the files are read once.
    const options = backendOptions(config, env);
    backend = await createBackend(config.backend, config.backend === 'env' ? { ...options, envFiles: [], environment } : options);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const ctx: RunContext = {
    backend,
    log,
    environment,
    processEnv: env,
    write: { noop: config.noop, syncOnly: config.syncOnly, keepStageFile: config.keepStageFile, printDiff: io.stdout },
  };
  let closeOperations: (() => Promise<void>) | undefined;
  if (config.metricsAddr && config.subcommand !== 'check') {
    const { AgentEvents } = await import('./events.js');
    const { startOperationsServer } = await import('./http.js');
    ctx.events = new AgentEvents();
    const server = await startOperationsServer({ address: config.metricsAddr, events: ctx.events, log });
    log.info(`operations server listening on ${server.url} (/metrics, /healthz, /readyz, /)`);
    closeOperations = server.close;
  }
  try {
    if (config.subcommand === 'check') {
      const { checkConfdir } = await import('./check.js');
      return await checkConfdir(ctx, loaded, io);
    }
    if (loaded.length === 0) log.warn(`no template resources in ${config.confdir}/conf.d; nothing to do`);
    // etcd and Consul can change, so even --onetime waits there for missing keys (no retry loop in start scripts).
    const loops = config.watch || config.interval !== undefined || (config.onetime && backend.watch !== undefined);
    if (config.command.length === 0) return loops ? await watchWithSignals(ctx, config, loaded) : await runOnetime(ctx, config, loaded);

    const supervise = await import('./supervise.js');
    const stopReaper = await supervise.startReaperIfInit(ctx);
    try {
      if (!config.onetime) return await supervise.superviseCommand(ctx, config, loaded);
      const code = loops ? await watchWithSignals(ctx, config, loaded) : await runOnetime(ctx, config, loaded);
      if (code !== ExitCode.ok) {
        log.error(`not starting ${config.command[0]}: the render failed (exit ${code})`);
        return code;
      }
      await closeOperations?.();
      await backend.close();
      return await supervise.execCommand(ctx, config);
    } finally {
      stopReaper();
    }
  } finally {
    await closeOperations?.();
    await backend.close();
  }
}

async function watchWithSignals(ctx: RunContext, config: Config, loaded: LoadedResource[]): Promise<number> {
  const { watchLoop } = await import('./watch.js');
  const stop = new AbortController();
  const onStop = (): void => stop.abort();
  process.once('SIGTERM', onStop);
  process.once('SIGINT', onStop);
  let reload: (() => void) | undefined;
  const onReload = (): void => reload?.();
  const reloadSignal = (config.reloadSignal ?? 'SIGHUP') as NodeJS.Signals;
  process.on(reloadSignal, onReload);
  try {
    return await watchLoop(ctx, config, loaded, { signal: stop.signal, onReloadRequest: (r) => (reload = r) });
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off(reloadSignal, onReload);
  }
}

async function runOnetime(ctx: RunContext, config: Config, loaded: Awaited<ReturnType<typeof loadConfdir>>): Promise<number> {
  let started = process.hrtime.bigint();
  const store = await readStore(ctx.backend, loaded);
  ctx.log.debug(`read ${store.size} keys from ${ctx.backend.name} in ${elapsed(started)}`);
  started = process.hrtime.bigint();
  const outcomes = await mapLimit(loaded, resourceConcurrency, (l) => processResource(ctx, l, store));
  ctx.log.debug(`rendered ${loaded.length} resources in ${elapsed(started)}`);
  const missing = missingReport(outcomes, ctx.backend);
  if (missing) {
    ctx.log.error(`keys are missing, nothing was written for these resources:\n${missing}`, {
      keys: outcomes.flatMap((o) => o.missingKeys),
    });
  }
  if (!config.noop && !config.syncOnly) {
    const written = outcomes.filter((o) => o.written).map((o) => o.loaded.resource);
    const failed = await reloadChanged(written, ctx.log, undefined, ctx.events, (text, resources) => redactValues(text, store, resources.flatMap((r) => r.keys)));
    if (failed.length > 0) return ExitCode.resourceFailed;
  }
  return exitCodeOf(outcomes);
}
