// The command-line contract as one table: flags, their KEYPLATE_* variables, keyplate.toml keys, defaults and help.
// Each default is written here once: config.ts takes it from the table, and --help shows it.
import { backendNames, backendNamesText, defaultNodesText, serverBackends } from '../../backends/index.js';
import { formatDuration } from './duration.js';

export type FlagType = 'string' | 'list' | 'boolean' | 'number' | 'duration' | 'choice';

/** A flag's value once parsed: durations in milliseconds, lists as arrays. */
export type FlagValue = string | number | boolean | readonly string[];

export interface FlagSpec {
  /** Long flag name without dashes; also gives KEYPLATE_<NAME> and the keyplate.toml key (snake_case). */
  name: string;
  type: FlagType;
  group: 'Source' | 'Mode' | 'Backend' | 'Waiting' | 'Process' | 'Output' | 'Logging' | 'Operations';
  help: string;
  /** The value when nothing sets the flag (parsed form: a duration in ms). Absent: unset, or see defaultText. */
  default?: FlagValue;
  /**
   * --help's words for a default that depends on other settings, or that `default` alone does not say. A function
   * when the words come from the backend registry: worked out only for --help, not on every start.
   */
  defaultText?: string | (() => string);
  choices?: readonly string[];
  /** Value placeholder in --help. */
  arg?: string;
  /** Added to `help` for --help (words from the backend registry, worked out only then). */
  helpFrom?: () => string;
  /** Extra keyplate.toml spellings accepted for confd users (e.g. `nodes`). */
  tomlAliases?: readonly string[];
}

export const flagSpecs: readonly FlagSpec[] = [
  { name: 'confdir', type: 'string', group: 'Source', arg: 'DIR', default: '/etc/keyplate', help: 'directory holding conf.d/ and templates/' },
  { name: 'config-file', type: 'string', group: 'Source', arg: 'FILE', defaultText: '<confdir>/keyplate.toml', help: 'settings file; a missing default file is fine, a missing named one is an error' },
  { name: 'prefix', type: 'string', group: 'Source', arg: 'PATH', default: '/', help: 'key prefix joined before every resource prefix' },
  { name: 'template-engine', type: 'choice', group: 'Source', arg: 'ENGINE', choices: ['auto', 'go', 'handlebars'], default: 'auto', help: "templates' language: go (confd's), handlebars, or auto (a resource's engine field, else told from each template)" },

  { name: 'onetime', type: 'boolean', group: 'Mode', help: 'render once and exit (or exec the command)' },
  { name: 'watch', type: 'boolean', group: 'Mode', defaultText: () => `on for ${serverBackends().join(' and ')}`, help: 'watch the backend and re-render on every change' },
  { name: 'interval', type: 'number', group: 'Mode', arg: 'SECONDS', help: 'poll the backend every SECONDS instead of watching' },
  { name: 'noop', type: 'boolean', group: 'Mode', help: 'write nothing, run nothing; print a unified diff of what would change' },
  { name: 'sync-only', type: 'boolean', group: 'Mode', help: 'write files but run no check_cmd or reload_cmd' },
  { name: 'keep-stage-file', type: 'boolean', group: 'Mode', help: 'keep the staged file when it is not renamed into place' },

  { name: 'backend', type: 'choice', group: 'Backend', arg: 'NAME', choices: backendNames, default: 'env', help: 'where values come from: ', helpFrom: backendNamesText },
  { name: 'node', type: 'list', group: 'Backend', arg: 'URL', tomlAliases: ['nodes'], default: [], defaultText: defaultNodesText, help: 'backend address; repeat for a cluster (env var: comma-separated)' },
  { name: 'env-file', type: 'list', group: 'Backend', arg: 'FILE', tomlAliases: ['env_files'], default: [], help: 'env backend: dotenv file adding variables the environment lacks (repeatable)' },
  { name: 'username', type: 'string', group: 'Backend', arg: 'USER', help: 'etcd user' },
  { name: 'password', type: 'string', group: 'Backend', arg: 'PASS', help: 'etcd password (prefer KEYPLATE_PASSWORD to a flag)' },
  { name: 'token', type: 'string', group: 'Backend', arg: 'TOKEN', defaultText: '$CONSUL_HTTP_TOKEN', help: 'Consul ACL token' },
  { name: 'scheme', type: 'choice', group: 'Backend', arg: 'SCHEME', choices: ['http', 'https'], defaultText: 'http (etcd: https with client TLS files)', help: 'scheme for --node addresses given as host:port' },
  { name: 'client-ca-keys', type: 'string', group: 'Backend', arg: 'FILE', tomlAliases: ['client_cakeys'], help: 'CA certificate for TLS to the backend' },
  { name: 'client-cert', type: 'string', group: 'Backend', arg: 'FILE', help: 'client certificate for TLS' },
  { name: 'client-key', type: 'string', group: 'Backend', arg: 'FILE', help: 'client key for TLS' },
  { name: 'client-insecure', type: 'boolean', group: 'Backend', help: 'skip TLS certificate verification (testing only)' },
  { name: 'backend-retry-timeout', type: 'duration', group: 'Backend', arg: 'DURATION', defaultText: 'forever', help: 'give up when the backend stays unreachable this long' },

  { name: 'wait-timeout', type: 'duration', group: 'Waiting', arg: 'DURATION', defaultText: 'forever', help: 'give up when keys are still missing after DURATION (exit 3), or the backend never answered (exit 1)' },
  { name: 'wait-min', type: 'duration', group: 'Waiting', arg: 'DURATION', default: 50, help: 'quiet time before re-rendering after a change' },
  { name: 'wait-max', type: 'duration', group: 'Waiting', arg: 'DURATION', default: 1000, help: 'longest a burst of changes may delay a render' },

  { name: 'kill-timeout', type: 'duration', group: 'Process', arg: 'DURATION', default: 10_000, help: 'wait this long after forwarding a stop signal, then SIGKILL the command' },
  { name: 'reload-signal', type: 'string', group: 'Process', arg: 'SIGNAL', defaultText: 'SIGHUP, none with a command', help: "keyplate's own reload signal (re-read the confdir)" },

  { name: 'log-level', type: 'choice', group: 'Logging', arg: 'LEVEL', choices: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'least severe level to log' },
  { name: 'log-format', type: 'choice', group: 'Logging', arg: 'FORMAT', choices: ['text', 'json'], default: 'text', help: 'text lines or one JSON object per line (stderr)' },

  { name: 'metrics-addr', type: 'string', group: 'Operations', arg: 'HOST:PORT', help: 'serve /metrics, /healthz, /readyz and a status page' },

  { name: 'version', type: 'boolean', group: 'Output', help: 'print the version and exit' },
  { name: 'help', type: 'boolean', group: 'Output', help: 'print this help and exit' },
];

/** The table by flag name (without dashes). */
export const flagsByName: ReadonlyMap<string, FlagSpec> = new Map(flagSpecs.map((f) => [f.name, f]));

/** A flag's default from the table (undefined when it has none); throws for a name the table lacks. */
export function defaultOf(name: string): FlagValue | undefined {
  const spec = flagsByName.get(name);
  if (!spec) throw new Error(`no flag --${name}`);
  return spec.default ?? (spec.type === 'boolean' ? false : undefined);
}

/** The flag's environment variable: `--wait-timeout` is KEYPLATE_WAIT_TIMEOUT. */
export function envName(flag: FlagSpec): string {
  return 'KEYPLATE_' + flag.name.toUpperCase().replace(/-/g, '_');
}

/** Every key keyplate.toml accepts for the flag: snake_case, the flag's own spelling, and confd's aliases. */
export function tomlKeys(flag: FlagSpec): string[] {
  return [flag.name.replace(/-/g, '_'), flag.name, ...(flag.tomlAliases ?? [])];
}

/** --help's words for a flag's default, or '' when it has none worth saying. */
function defaultWords(flag: FlagSpec): string {
  if (flag.defaultText !== undefined) return typeof flag.defaultText === 'function' ? flag.defaultText() : flag.defaultText;
  const value = flag.default;
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '';
  return flag.type === 'duration' ? formatDuration(value as number) : String(value);
}

/** The text of `keyplate --help`: usage, every flag by group with its variable and default, and the exit codes. */
export function helpText(version: string): string {
  const lines = [
    `keyplate ${version}: render config files from env, etcd or Consul, keep them live, run your program.`,
    '',
    'Usage: keyplate [flags] [-- command [args...]]',
    '       keyplate check [flags]     validate a confdir without writing anything',
    '',
    'Every flag can also be set as KEYPLATE_<FLAG> in the environment or in keyplate.toml.',
    'Precedence: flag > environment > keyplate.toml > default.',
  ];
  let group = '';
  for (const f of flagSpecs) {
    if (f.group !== group) {
      group = f.group;
      lines.push('', `${group}:`);
    }
    const left = `  --${f.name}${f.arg ? ' ' + f.arg : ''}`;
    const extra = [f.name === 'help' || f.name === 'version' ? '' : `$${envName(f)}`, defaultWords(f) ? `default ${defaultWords(f)}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(`${left.length >= 34 ? `${left}  ` : left.padEnd(34)}${f.help}${f.helpFrom?.() ?? ''}${extra ? ` [${extra}]` : ''}`);
  }
  lines.push(
    '',
    'Exit codes: 0 ok; 1 a resource failed to render, check, write or reload, or the backend failed; 2 usage or configuration error;',
    '            3 gave up waiting for keys (or, env with --onetime, they cannot arrive); 128+N stopped by signal N before done;',
    '            with a command: its exit code (128+N when killed by signal N). keyplate check: the same codes.',
    '',
  );
  return lines.join('\n');
}
