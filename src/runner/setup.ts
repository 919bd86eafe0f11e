// What a run and `keyplate check` both start from: the confdir loaded and validated, the environment templates see,
// the backend, and the pipeline's context. Anything wrong here is a usage or config error (exit 2), found before
// anything is written.
import { createBackend, describeBackend } from '../../backends/index.js';
import { environmentWithFiles } from '../../backends/env.js';
import { connectionKeys, type Backend, type BackendConnection, type BackendOptions } from '../../backends/types.js';
import type { Config } from '../config/config.js';
import { UsageError } from '../errors.js';
import type { AgentEvents } from '../ops/events.js';
import type { Logger } from '../ops/log.js';
import type { Io } from '../ops/output.js';
import { loadConfdir, type LoadedResource } from '../resources/confdir.js';
import { sweepStageFiles } from '../write/stage-files.js';
import type { PipelineContext } from './pipeline.js';

/** The loaded confdir, the backend (created, not yet connected) and the pipeline's context. */
export interface Setup {
  loaded: LoadedResource[];
  backend: Backend;
  /** How logs name the backend with its nodes: `etcd (http://127.0.0.1:2379)`. */
  backendLabel: string;
  pipeline: PipelineContext;
}

/** Milliseconds since `since` (process.hrtime.bigint()), for debug lines: `12.3ms`. */
function elapsed(since: bigint): string {
  return `${(Number(process.hrtime.bigint() - since) / 1e6).toFixed(1)}ms`;
}

/** Load everything a run needs; throws a ConfigError or UsageError (exit 2) for what the user must fix. */
export async function prepare(config: Config, processEnv: NodeJS.ProcessEnv, log: Logger, io: Io, events?: AgentEvents): Promise<Setup> {
  const started = process.hrtime.bigint();
  const loaded = await loadConfdir({ confdir: config.confdir, prefix: config.prefix, templateEngine: config.templateEngine });
  noteGuessedEngines(loaded, log);
  log.debug(`loaded ${loaded.length} resource${loaded.length === 1 ? '' : 's'} from ${config.confdir} in ${elapsed(started)} (${Math.round(process.uptime() * 1000)}ms since process start)`);
  // Stage files left by a keyplate killed mid-write; not by check, --noop or --keep-stage-file, which write nothing.
  if (config.subcommand !== 'check' && !config.noop && !config.keepStageFile) sweepStageFiles(loaded.map((l) => l.resource), log);
  let environment: NodeJS.ProcessEnv;
  try {
    environment = environmentWithFiles(config.envFiles, processEnv, config.envFilesSetting);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  let backend: Backend;
  try {
    backend = await createBackend(config.backend, backendOptions(config, processEnv, log));
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  const write = { noop: config.noop, syncOnly: config.syncOnly, keepStageFile: config.keepStageFile, printDiff: io.stdout };
  return { loaded, backend, backendLabel: describeBackend(config.backend, config), pipeline: { log, environment, write, events } };
}

/** Templates whose engine the default chose (either would read them, differently) are named once each, with why. */
function noteGuessedEngines(loaded: readonly LoadedResource[], log: Logger): void {
  const said = new Set<string>();
  for (const { resource, template } of loaded) {
    if (!template.guessed || said.has(template.file)) continue;
    said.add(template.file);
    log.info(`${resource.srcName}: read as a ${template.engine === 'go' ? 'Go' : 'Handlebars'} template: ${template.why}`, { resource: resource.name });
  }
}

function backendOptions(config: Config, processEnv: NodeJS.ProcessEnv, log: Logger): BackendOptions {
  const connection = Object.fromEntries(connectionKeys.map((key) => [key, config[key]])) as unknown as BackendConnection;
  return { ...connection, retryTimeout: config.backendRetryTimeoutMs, environment: processEnv, warn: (message) => log.warn(message) };
}
