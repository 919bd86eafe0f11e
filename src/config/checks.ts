// Checks across settings, once every layer is read: mistakes a single flag's parser cannot see (a TLS file that is
// not there, a flag the chosen backend ignores, --noop with a command to run). Each names the setting where the
// user wrote it: the flag, the KEYPLATE_* variable or the keyplate.toml entry.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { envName, flagsByName, tomlKeys } from './flags.js';

type Raw = ReadonlyMap<string, unknown>;

/** The three layers a setting can come from, highest precedence first, and the settings file's path. */
export interface SettingLayers {
  flags: Raw;
  environment: Raw;
  file: Raw;
  configFile: string;
}

/**
 * Where the user set `name` (a flag's long name), as advice should name it: `--node`, `KEYPLATE_NODE`, or
 * `node in /etc/confd/keyplate.toml`; undefined when it is at its default.
 */
export function settingSource(name: string, layers: SettingLayers): string | undefined {
  const spec = flagsByName.get(name)!;
  if (layers.flags.has(name)) return `--${name}`;
  if (layers.environment.has(name)) return envName(spec);
  if (layers.file.has(name)) return `${tomlKeys(spec)[0]} in ${layers.configFile}`;
  return undefined;
}

/** What the cross-setting checks read of the resolved settings. */
export interface CheckedSettings {
  backend: string;
  noop: boolean;
  command: readonly string[];
  waitTimeoutMs?: number;
  backendRetryTimeoutMs?: number;
  clientCaKeys?: string;
  clientCert?: string;
  clientKey?: string;
  nodes?: readonly string[];
  subcommand?: string;
}

/** Settings that only a server backend (etcd, Consul) reads. */
const serverOnly = ['node', 'username', 'password', 'token', 'scheme', 'client-ca-keys', 'client-cert', 'client-key', 'client-insecure'];

/**
 * Throws a UsageError (exit 2) for settings that cannot work together; returns warnings for settings that do nothing.
 * Rules: a node address holds no credentials (`http://user:pass@host`: not read, and logged); a TLS file must be
 * readable, and a client certificate comes with its key (etcd and Consul alike, before any connection: a retry cannot
 * cure a missing file); --noop and `keyplate check` write nothing and run nothing, so a command after `--` is
 * refused, as is an empty program name; a zero --wait-timeout or --backend-retry-timeout would give up before the
 * backend could answer.
 */
export function checkSettings(settings: CheckedSettings, layers: SettingLayers): string[] {
  const where = (name: string): string => settingSource(name, layers) ?? `--${name}`;
  if (settings.command.length > 0 && settings.command[0]!.trim() === '') {
    throw new UsageError('expected a program to run after `--`, got an empty name; give the program and its arguments, or nothing after `--`');
  }
  if (settings.subcommand === 'check' && settings.command.length > 0) {
    throw new UsageError(`keyplate check writes nothing and runs nothing, so it cannot start \`${settings.command[0]}\`; drop the command after \`--\``);
  }
  if (settings.noop && settings.command.length > 0) {
    throw new UsageError(`${where('noop')} writes nothing and runs nothing, so it cannot start \`${settings.command[0]}\`; drop --noop to run the command, or the command to see the dry run`);
  }
  for (const name of ['wait-timeout', 'backend-retry-timeout'] as const) {
    const ms = name === 'wait-timeout' ? settings.waitTimeoutMs : settings.backendRetryTimeoutMs;
    if (ms === 0) throw new UsageError(`${where(name)} 0 would give up before the backend could answer; give a duration such as 30s, or leave it out to wait`);
  }
  if (settings.backend === 'env') {
    const ignored = serverOnly.filter((name) => settingSource(name, layers) !== undefined);
    if (ignored.length === 0) return [];
    const list = ignored.map((name) => settingSource(name, layers)).join(', ');
    return [`${list} ${ignored.length === 1 ? 'does' : 'do'} nothing with the env backend (${where('backend')} is env${settingSource('backend', layers) ? '' : ', the default'}); to read from a server, add --backend etcd or --backend consul`];
  }
  for (const node of settings.nodes ?? []) {
    // A host name never holds `@`: anything before the last one is credentials, whatever it holds (`/`, `@`, `:`),
    // with a scheme (`http://user:pass@host`) or without (`user:pass@host:port`).
    const at = node.lastIndexOf('@');
    if (at < 0) continue;
    // The address is logged and shown on the status page: the message names it without what was before the `@`.
    const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(node)?.[0] ?? '';
    const shown = `${scheme}…${node.slice(at)}`;
    const instead = settings.backend === 'etcd' ? 'give the user with --username and the password in KEYPLATE_PASSWORD' : 'give an ACL token with --token or CONSUL_HTTP_TOKEN';
    throw new UsageError(`${where('node')} ${shown} holds credentials before its \`@\`, which keyplate does not read from an address (and would show in its logs); ${instead}, and write the address without them`);
  }
  const tls: Array<[string, string | undefined]> = [
    ['client-ca-keys', settings.clientCaKeys],
    ['client-cert', settings.clientCert],
    ['client-key', settings.clientKey],
  ];
  for (const [name, file] of tls) {
    if (file === undefined) continue;
    try {
      readFileSync(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new UsageError(`${where(name)}: cannot read ${file} (${code}); give the path of a readable PEM file`, { cause: error });
    }
  }
  if ((settings.clientCert === undefined) !== (settings.clientKey === undefined)) {
    const given = settings.clientCert === undefined ? 'client-key' : 'client-cert';
    const missing = given === 'client-key' ? '--client-cert' : '--client-key';
    throw new UsageError(`${where(given)} needs ${missing} too: a client certificate and its private key go together`);
  }
  return [];
}
