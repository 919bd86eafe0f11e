// Layered settings: defaults → keyplate.toml → KEYPLATE_* environment → flags; strict about unknown keys.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { backendNamed, watchedByDefault, type BackendName } from '../../backends/index.js';
import type { BackendConnection } from '../../backends/types.js';
import { defaultCacheDir } from '../cache/disk.js';
import { UsageError, describe } from '../errors.js';
import { checkSettings, settingSource, type SettingLayers } from './checks.js';
import { parseDuration } from './duration.js';
import { defaultOf, envName, flagsByName, flagSpecs, tomlKeys, type FlagSpec } from './flags.js';
import { closest, didYouMean } from './suggest.js';
import { parseTomlCached, tomlErrorLocation } from './toml.js';

/** Every setting, resolved: flag > KEYPLATE_* environment > keyplate.toml > the flag table's default. */
export interface Config extends BackendConnection {
  subcommand?: 'check';
  confdir: string;
  configFile: string;
  prefix: string;
  /** --template-engine: every template's engine, or auto (see template/engine-choice.ts). */
  templateEngine: 'auto' | 'go' | 'handlebars';
  onetime: boolean;
  /** Keep following changes (off with --onetime; on by default for a server backend, see backends/index.ts). */
  watch: boolean;
  /** --interval: poll every this many ms instead of watching (undefined: watch). */
  intervalMs?: number;
  noop: boolean;
  syncOnly: boolean;
  keepStageFile: boolean;
  backend: BackendName;
  clientInsecure: boolean;
  backendRetryTimeoutMs?: number;
  waitTimeoutMs?: number;
  waitMinMs: number;
  waitMaxMs: number;
  killTimeoutMs: number;
  /** keyplate's own reload signal; undefined when not set (then SIGHUP without a command, none with one). */
  reloadSignal?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  logFormat: 'text' | 'json';
  metricsAddr?: string;
  version: boolean;
  help: boolean;
  /** Everything after `--`. */
  command: string[];
  /** Warnings about the settings to log once (e.g. a KEYPLATE_* variable keyplate does not know). */
  warnings: string[];
}

type Raw = Map<string, unknown>;

const pathSettings = new Set(['env-file', 'client-ca-keys', 'client-cert', 'client-key']);

/** Turn argv into raw flag values; `-flag` (confd/Go style) works as well as `--flag`. */
function parseArgv(argv: readonly string[]): { flags: Raw; positionals: string[]; command: string[] } {
  const flags: Raw = new Map();
  const positionals: string[] = [];
  let firstPositional = 0;
  let command: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      command = argv.slice(i + 1);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (positionals.length === 0) firstPositional = i;
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = flagsByName.get(name) ?? (name === 'h' ? flagsByName.get('help') : name === 'v' ? flagsByName.get('version') : undefined);
    if (!spec) throw new UsageError(positionals.length > 0 ? commandWithoutDashes(positionals, argv.slice(firstPositional)) : unknownFlag(arg, name));
    let value: string | undefined = eq === -1 ? undefined : body.slice(eq + 1);
    if (spec.type === 'boolean') {
      flags.set(spec.name, value === undefined ? true : parseBoolText(value, `flag --${spec.name}`));
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || (value.startsWith('--') && value.length > 2)) {
        throw new UsageError(`flag --${spec.name} needs a value: ${spec.arg ?? spec.type}`);
      }
    }
    const parsed = parseScalar(spec, value, `flag --${spec.name}`);
    if (spec.type === 'list') flags.set(spec.name, [...((flags.get(spec.name) as string[]) ?? []), ...(parsed as string[])]);
    else flags.set(spec.name, parsed);
  }
  return { flags, positionals, command };
}

/** confd's flag names that keyplate spells differently (suggested, not accepted: one name per setting). */
const confdFlagNames: ReadonlyMap<string, string> = new Map([
  ['auth-token', 'token'],
  ['client-cakeys', 'client-ca-keys'],
  ['nodes', 'node'],
]);

/** The message for an unknown flag: the closest flag in the dashes the user typed (`-confidr` → `-confdir`). */
function unknownFlag(arg: string, name: string): string {
  const dashes = arg.startsWith('--') ? '--' : '-';
  const match = confdFlagNames.get(name) ?? closest(name, flagsByName.keys());
  const hint = match === undefined ? '' : `. Did you mean \`${dashes}${match}\`?`;
  return `unknown flag \`${arg}\`; run \`keyplate --help\` for the list${hint}`;
}

/** `keyplate --onetime nginx -g …`: a command written without the `--` before it. */
function commandWithoutDashes(positionals: readonly string[], rest: readonly string[]): string {
  const shown = rest.map((a) => (/^[\w./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return `\`${positionals[0]}\` and what follows look like a command to run; put it after \`--\`: keyplate [flags] -- ${shown}`;
}

/** An argument where keyplate takes none: a directory meant as the confdir, or a command without its `--`. */
function unexpectedArgument(arg: string, rest: readonly string[], cwd: string): string {
  let directory = false;
  try {
    directory = statSync(resolve(cwd, arg)).isDirectory();
  } catch {
    // not a path
  }
  if (directory) return `unexpected argument \`${arg}\`; to use this directory as the confdir, write --confdir ${arg}`;
  return `unexpected argument \`${arg}\`; to run a command after rendering, put it after \`--\` (keyplate --onetime -- ${rest.join(' ')})`;
}

/** Words a user may type where keyplate takes a subcommand, and what they mean. */
const subcommandWords: ReadonlyMap<string, string> = new Map([
  ['check', 'keyplate check'],
  ['help', 'keyplate --help'],
  ['version', 'keyplate --version'],
]);

function parseBoolText(value: string, where: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 't', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'f', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new UsageError(`${where}: expected true or false, got ${describe(value)}`);
}

function parseScalar(spec: FlagSpec, value: unknown, where: string): unknown {
  switch (spec.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return parseBoolText(value, where);
      break;
    case 'list':
      if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter(Boolean);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
      throw new UsageError(`${where}: expected a string or a list of strings, got ${describe(value)}`);
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'choice':
      if (typeof value === 'string' && spec.choices!.includes(value)) return value;
      throw new UsageError(`${where}: expected one of ${spec.choices!.join(', ')}, got ${describe(value)}`);
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (Number.isFinite(n) && n > 0) return n;
      throw new UsageError(`${where}: expected a positive number of ${spec.arg?.toLowerCase() ?? 'units'}, got ${describe(value)}`);
    }
    case 'duration': {
      const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
      if (ms !== undefined) return ms;
      throw new UsageError(`${where}: expected a duration such as 500ms, 30s or 2m, got ${describe(value)}`);
    }
  }
  throw new UsageError(`${where}: expected a ${spec.type}, got ${describe(value)}`);
}

/**
 * KEYPLATE_* variables keyplate reads that are not flags: the template cache (README "Environment"), and those of
 * keyplate's own test harnesses (test/), which pass their environment on.
 */
const otherVariables = ['KEYPLATE_CACHE_DIR', 'KEYPLATE_TEST_MODE', 'KEYPLATE_TEST_KILL_TIMEOUT', 'KEYPLATE_CORPUS_DIR', 'KEYPLATE_REQUIRE_CORPUS'];

/** One warning per KEYPLATE_* variable that is neither a flag's nor in otherVariables, with a did-you-mean. */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known = new Set(otherVariables);
  for (const spec of flagSpecs) if (spec.name !== 'help' && spec.name !== 'version') known.add(envName(spec));
  const warnings: string[] = [];
  for (const name in env) {
    if (!name.startsWith('KEYPLATE_') || known.has(name)) continue;
    const hint = didYouMean(name, known, (n) => n);
    warnings.push(`environment ${name}: not a keyplate setting, ignored${hint || '; the settings are KEYPLATE_<FLAG> for the flags in keyplate --help'}`);
  }
  return warnings;
}

function fromEnvironment(env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = new Map();
  for (const spec of flagSpecs) {
    const text = env[envName(spec)];
    if (text === undefined || text === '' || spec.name === 'help' || spec.name === 'version') continue;
    raw.set(spec.name, parseScalar(spec, text, `environment ${envName(spec)}`));
  }
  return raw;
}

function fromFile(file: string, required: boolean, env: NodeJS.ProcessEnv): Raw {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !required) return new Map();
    throw new UsageError(`${file}: cannot read the config file (${(error as Error).message}); fix the path given by --config-file or KEYPLATE_CONFIG_FILE`, { cause: error });
  }
  let doc: Record<string, unknown>;
  try {
    doc = parseTomlCached(text, defaultCacheDir(env));
  } catch (error) {
    throw new UsageError(`${file}${tomlErrorLocation(error)}: invalid TOML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const byKey = new Map<string, FlagSpec>();
  for (const spec of flagSpecs) for (const k of tomlKeys(spec)) byKey.set(k, spec);
  const raw: Raw = new Map();
  for (const [key, value] of Object.entries(doc)) {
    const spec = byKey.get(key);
    if (!spec || spec.name === 'help' || spec.name === 'version' || spec.name === 'config-file') {
      const hint = didYouMean(key, [...byKey.keys()].filter((k) => !['help', 'version', 'config_file', 'config-file'].includes(k)));
      throw new UsageError(`${file}: unknown setting \`${key}\`${hint || '; valid settings are the flag names in snake_case (see keyplate --help)'}`);
    }
    let parsed = parseScalar(spec, value, `${file}: ${key}`);
    // Paths in keyplate.toml are relative to the file, not to wherever keyplate was started.
    if (pathSettings.has(spec.name)) {
      const resolveHere = (p: string): string => resolve(dirname(file), p);
      parsed = Array.isArray(parsed) ? parsed.map(resolveHere) : resolveHere(parsed as string);
    }
    raw.set(spec.name, parsed);
  }
  return raw;
}

/** Where loadConfig reads from; `cwd` resolves relative paths given by flags and the environment. */
export interface LoadOptions {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

/** The raw layers, highest precedence first, and what argv says besides flags. */
interface Layers {
  flags: Raw;
  environment: Raw;
  file: Raw;
  configFile: string;
  subcommand: Config['subcommand'];
  command: string[];
}

/** Read argv, the KEYPLATE_* variables and keyplate.toml (found through --confdir or --config-file). */
function readLayers(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Layers {
  const { flags, positionals, command } = parseArgv(argv);
  let subcommand: Config['subcommand'];
  if (positionals[0] === 'check') {
    subcommand = 'check';
    positionals.shift();
  }
  const meant = positionals.length > 0 ? closest(positionals[0], subcommandWords.keys()) : undefined;
  if (meant !== undefined) throw new UsageError(`unknown command \`${positionals[0]}\`; did you mean \`${subcommandWords.get(meant)}\`?`);
  if (positionals.length > 0) throw new UsageError(unexpectedArgument(positionals[0], positionals, cwd));
  const environment = fromEnvironment(env);
  const early = (name: string): unknown => flags.get(name) ?? environment.get(name);
  const confdirEarly = resolve(cwd, (early('confdir') as string | undefined) ?? (defaultOf('confdir') as string));
  notAFile(confdirEarly, flags.has('confdir') ? '--confdir' : environment.has('confdir') ? 'KEYPLATE_CONFDIR' : 'the default confdir');
  const namedFile = early('config-file') as string | undefined;
  const configFile = resolve(cwd, namedFile ?? join(confdirEarly, 'keyplate.toml'));
  const file = flags.get('help') || flags.get('version') ? new Map() : fromFile(configFile, namedFile !== undefined, env);
  return { flags, environment, file, configFile, subcommand, command };
}

/** A confdir that is a file (a resource's .toml given as --confdir): exit 2 naming it, before anything reads inside. */
function notAFile(confdir: string, setting: string): void {
  let file = false;
  try {
    file = !statSync(confdir).isDirectory();
  } catch {
    return; // missing: the loader says so, naming conf.d
  }
  if (file) throw new UsageError(`${setting} ${confdir} is a file, not a directory; give the directory that holds conf.d/ and templates/`);
}

/**
 * Resolve every setting from argv, the environment and keyplate.toml. Throws a UsageError naming the flag, variable
 * or file entry at fault (exit 2).
 */
export function loadConfig({ argv, env, cwd = process.cwd() }: LoadOptions): Config {
  const { flags, environment, file, configFile, subcommand, command } = readLayers(argv, env, cwd);
  const layers: SettingLayers = { flags, environment, file, configFile };
  /** The setting's value, by precedence, down to the flag table's default. */
  const pick = <T>(name: string): T => (flags.get(name) ?? environment.get(name) ?? file.get(name) ?? defaultOf(name)) as T;

  const backend = backendNamed(pick<string>('backend'))!; // the flag table's choices are the registry's names
  const onetime = pick<boolean>('onetime');
  const intervalSeconds = pick<number | undefined>('interval');
  if (onetime && (flags.get('watch') || environment.get('watch') || (file.get('onetime') && file.get('watch')))) {
    throw new UsageError(`${settingSource('onetime', layers)} and ${settingSource('watch', layers)} contradict each other; pick one`);
  }
  // Watching is the default where values live in a server; env renders once unless asked to watch or poll.
  const watchSet = (flags.get('watch') ?? environment.get('watch') ?? file.get('watch')) as boolean | undefined;
  const waitMinMs = pick<number>('wait-min');
  const waitMaxMs = pick<number>('wait-max');
  if (waitMinMs > waitMaxMs) throw new UsageError(`wait-min (${waitMinMs}ms) must not exceed wait-max (${waitMaxMs}ms)`);

  const config: Config = {
    subcommand,
    confdir: resolve(cwd, pick<string>('confdir')),
    configFile,
    prefix: pick('prefix'),
    templateEngine: pick('template-engine'),
    onetime,
    watch: !onetime && (watchSet ?? (intervalSeconds === undefined && watchedByDefault(backend))),
    intervalMs: intervalSeconds === undefined ? undefined : intervalSeconds * 1000,
    noop: pick('noop'),
    syncOnly: pick('sync-only'),
    keepStageFile: pick('keep-stage-file'),
    backend,
    nodes: pick('node'),
    envFiles: pick<string[]>('env-file').map((f) => resolve(cwd, f)),
    envFilesSetting: settingSource('env-file', layers),
    username: pick('username'),
    password: pick('password'),
    token: pick('token'),
    scheme: pick('scheme'),
    clientCaKeys: pick('client-ca-keys'),
    clientCert: pick('client-cert'),
    clientKey: pick('client-key'),
    clientInsecure: pick('client-insecure'),
    backendRetryTimeoutMs: pick('backend-retry-timeout'),
    waitTimeoutMs: pick('wait-timeout'),
    waitMinMs,
    waitMaxMs,
    killTimeoutMs: pick('kill-timeout'),
    reloadSignal: reloadSignalOf(pick<string | undefined>('reload-signal')),
    logLevel: pick('log-level'),
    logFormat: pick('log-format'),
    metricsAddr: pick('metrics-addr'),
    version: Boolean(flags.get('version')),
    help: Boolean(flags.get('help')),
    command,
    warnings: unknownVariables(env),
  };
  config.warnings.push(...checkSettings(config, layers), ...ignoredConfdir(layers, cwd), ...unreadConfdToml(layers));
  if (onetime && intervalSeconds !== undefined) {
    config.warnings.push(`${settingSource('interval', layers)} does nothing with ${settingSource('onetime', layers)}: it renders once and exits`);
  }
  return config;
}

/** A confdir named in the settings file that --confdir or KEYPLATE_CONFDIR overrides: said, not silently dropped. */
function ignoredConfdir({ flags, environment, file, configFile }: SettingLayers, cwd: string): string[] {
  const inFile = file.get('confdir') as string | undefined;
  const winner = (flags.get('confdir') ?? environment.get('confdir')) as string | undefined;
  if (inFile === undefined || winner === undefined || resolve(cwd, inFile) === resolve(cwd, winner)) return [];
  const by = flags.has('confdir') ? '--confdir' : 'KEYPLATE_CONFDIR';
  return [`confdir in ${configFile} is ignored: ${by} names the confdir (${winner})`];
}

/**
 * confd's own settings file where keyplate.toml would be (a confd confdir pointed at as it is): not read, so the run
 * would use the defaults (the env backend) and blame missing keys. Said as a warning with the two ways to use it.
 */
function unreadConfdToml({ flags, environment, configFile }: SettingLayers): string[] {
  if (flags.has('config-file') || environment.has('config-file') || existsSync(configFile)) return [];
  const confd = join(dirname(configFile), 'confd.toml');
  if (!existsSync(confd)) return [];
  return [`${confd} is confd's settings file, which keyplate does not read; rename it keyplate.toml (confd's keys are accepted: backend, nodes, prefix, …) or pass --config-file ${confd}`];
}

/** keyplate's own reload signal as `SIGNAME` (`hup` and `HUP` work too); only signals that do not stop a process. */
function reloadSignalOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : 'SIG' + upper;
  if (!['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'].includes(name)) {
    throw new UsageError(`--reload-signal: expected SIGHUP, SIGUSR1, SIGUSR2, SIGWINCH or SIGCONT, got ${describe(upper)}`);
  }
  return name;
}
