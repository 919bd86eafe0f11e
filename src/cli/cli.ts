// The command line: argv → settings → `keyplate check` or a run (src/runner/), and the exit code. Only the bundle's
// entry (src/main.ts) imports this file.
import { processEnvironment } from '../../backends/env.js';
import { BackendError } from '../../backends/types.js';
import { loadConfig, type Config } from '../config/config.js';
import { helpText } from '../config/flags.js';
import { ExitCode, KeyplateError, UsageError } from '../errors.js';
import { createLogger } from '../ops/log.js';
import { processIo, type Io } from '../ops/output.js';
import { runAgent } from '../runner/agent.js';

declare const KEYPLATE_VERSION: string;
/** The package's version, set by the build (`0.0.0-dev` when run from the sources). */
export const version = typeof KEYPLATE_VERSION === 'string' ? KEYPLATE_VERSION : '0.0.0-dev';

/** Run keyplate with `argv` (without node and the script) and return the exit code README "Exit codes" lists. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = processEnvironment(), io: Io = processIo): Promise<number> {
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
  for (const warning of config.warnings) log.warn(warning);
  try {
    if (config.subcommand === 'check') return await (await import('../runner/check.js')).checkConfdir(config, env, log, io);
    return await runAgent(config, env, log, io);
  } catch (error) {
    if (error instanceof KeyplateError) {
      log.error(error.message);
      return error.exitCode;
    }
    if (error instanceof BackendError) {
      log.error(error.message);
      return ExitCode.resourceFailed;
    }
    log.error(`unexpected failure: ${(error as Error).stack ?? error}`);
    return ExitCode.resourceFailed;
  }
}
