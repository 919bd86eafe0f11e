// The backend registry: an explicit map of lazy imports, so only the chosen backend's code ever loads.
import type { Backend, BackendOptions } from './types.js';

type Factory = (options: BackendOptions) => Backend;

const registry: Record<string, () => Promise<Factory>> = {
  env: async () => (await import('./env.js')).createEnvBackend,
  etcd: async () => (await import('./etcd.js')).createEtcdBackend,
  consul: async () => (await import('./consul.js')).createConsulBackend,
};
registry.etcdv3 = registry.etcd;

export const backendNames = Object.keys(registry);

export async function createBackend(name: string, options: BackendOptions): Promise<Backend> {
  const load = registry[name];
  if (!load) throw new Error(`unknown backend \`${name}\`; valid backends: ${backendNames.join(', ')}`);
  return (await load())(options);
}
