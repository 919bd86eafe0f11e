// The backend registry: the one list of backend names, with what is known of each before its code loads (only the
// chosen backend's code ever loads: an explicit map of lazy imports).
import type { Backend, BackendOptions } from './types.js';

type Factory = (options: BackendOptions) => Backend;

interface Entry {
  load(): Promise<Factory>;
  /**
   * Set for a backend whose values live in a server that others write to: --node applies, `defaultNode` is the address
   * used when none is given (for logs and --help; the backend applies it itself), and watching is the default mode.
   */
  server?: { defaultNode: string };
  /** Said once when keyplate starts watching it, when what it can follow needs saying. */
  watchNote?: string;
}

const registry = {
  env: {
    load: async () => (await import('./env.js')).createEnvBackend,
    watchNote: 'keyplate cannot see changes to the process environment; it follows edits of the --env-file files and the confdir',
  },
  etcd: { load: async () => (await import('./etcd.js')).createEtcdBackend, server: { defaultNode: 'http://127.0.0.1:2379' } },
  consul: { load: async () => (await import('./consul.js')).createConsulBackend, server: { defaultNode: '127.0.0.1:8500' } },
} satisfies Record<string, Entry>;

/** A backend's own name, as logs and errors say it. */
export type BackendName = keyof typeof registry;

/** Other names accepted for a backend (confd's `etcdv3`). */
const aliases: Readonly<Record<string, BackendName>> = { etcdv3: 'etcd' };

/** Every name `--backend` accepts: each backend, followed by its aliases. */
export const backendNames: readonly string[] = Object.keys(registry).flatMap((n) => [n, ...aliasesOf(n)]);

function aliasesOf(name: string): string[] {
  return Object.keys(aliases).filter((a) => aliases[a] === name);
}

/** `env, etcd (alias etcdv3), consul`: the names for --help. */
export function backendNamesText(): string {
  return Object.keys(registry).map((n) => (aliasesOf(n).length ? `${n} (alias ${aliasesOf(n).join(', ')})` : n)).join(', ');
}

/** The backend a name or alias stands for; undefined for a name that is neither. */
export function backendNamed(name: string): BackendName | undefined {
  if (Object.hasOwn(registry, name)) return name as BackendName;
  return aliases[name];
}

/** The backends whose values live in a server (see Entry.server): the ones watched by default. */
export function serverBackends(): BackendName[] {
  return (Object.keys(registry) as BackendName[]).filter((n) => isServer(n));
}

function isServer(name: BackendName): boolean {
  return (registry[name] as Entry).server !== undefined;
}

/** True when keyplate watches this backend unless told otherwise (a server backend, see Entry.server). */
export function watchedByDefault(name: BackendName): boolean {
  return isServer(name);
}

/** `etcd (http://a:2379, http://b:2379)`, `consul (127.0.0.1:8500)`, `env (dev.env)`: how logs name the backend in use. */
export function describeBackend(name: BackendName, options: Pick<BackendOptions, 'nodes' | 'envFiles'>): string {
  const entry: Entry = registry[name];
  const where = entry.server ? (options.nodes.length > 0 ? options.nodes : [entry.server.defaultNode]) : options.envFiles;
  return where.length > 0 ? `${name} (${where.join(', ')})` : name;
}

/** What to say when keyplate starts watching this backend, if anything (see Entry.watchNote). */
export function watchNote(name: BackendName): string | undefined {
  return (registry[name] as Entry).watchNote;
}

/** `--node`'s default for --help: `etcd http://127.0.0.1:2379, consul 127.0.0.1:8500`. */
export function defaultNodesText(): string {
  return serverBackends().map((n) => `${n} ${(registry[n] as Entry).server!.defaultNode}`).join(', ');
}

/** Load and create the named backend (an alias works too); throws for an unknown name, listing the valid ones. */
export async function createBackend(name: string, options: BackendOptions): Promise<Backend> {
  const backend = backendNamed(name);
  if (!backend) throw new Error(`unknown backend \`${name}\`; valid backends: ${backendNames.join(', ')}`);
  return (await registry[backend].load())(options);
}
