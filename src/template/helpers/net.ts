// DNS helpers (lookupIP, lookupIPV4, lookupIPV6, lookupSRV) for synchronous Handlebars.
//
// A helper answers from scope.lookups, or records its query id in scope.pendingLookups and
// answers []; the renderer then awaits resolvePendingLookups(scope) and renders again.
// As in confd, a failed lookup is an empty list, never an error.
// node:dns and node:timers/promises are imported on first lookup: most templates never look anything up,
// and loading them costs the start path a few milliseconds.
import type { RenderScope } from '../scope.js';
import { compareStrings, str, type HelperCall, type HelperTable } from './common.js';

/** An SRV answer, with Go's field names too so `{{Target}}:{{Port}}` ports unchanged. */
export interface SrvRecord {
  readonly target: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
  readonly Target: string;
  readonly Port: number;
  readonly Priority: number;
  readonly Weight: number;
}

/** A lookup that has not answered by then counts as failed (getaddrinfo cannot be cancelled). */
const LOOKUP_TIMEOUT_MS = 10_000;

type Kind = 'ip' | 'ip4' | 'ip6' | 'srv';

function cached(call: HelperCall, kind: Kind, name: string): unknown {
  const scope = call.requireScope();
  const id = `${kind}:${name}`;
  if (scope.lookups.has(id)) return scope.lookups.get(id);
  scope.pendingLookups.add(id);
  return [];
}

/** Go's net.LookupSRV: `_service._proto.name`, or just `name` when service and proto are both empty. */
function srvName(service: string, proto: string, name: string): string {
  return service === '' && proto === '' ? name : `_${service}._${proto}.${name}`;
}

export const netHelpers: HelperTable = {
  lookupIP: { arity: [1, 1], fn: (call, [name]) => cached(call, 'ip', str(call, name, 'host name')) },
  lookupIPV4: { arity: [1, 1], fn: (call, [name]) => cached(call, 'ip4', str(call, name, 'host name')) },
  lookupIPV6: { arity: [1, 1], fn: (call, [name]) => cached(call, 'ip6', str(call, name, 'host name')) },
  lookupSRV: {
    arity: [3, 3],
    fn: (call, [service, proto, name]) =>
      cached(call, 'srv', srvName(str(call, service, 'service'), str(call, proto, 'protocol'), str(call, name, 'name'))),
  },
};

/** Resolve every pending lookup into scope.lookups (failures become []), then clear the pending set. */
export async function resolvePendingLookups(scope: RenderScope): Promise<void> {
  const ids = [...scope.pendingLookups];
  const answers = await Promise.all(ids.map((id) => withTimeout(resolve(id)).catch(() => [])));
  ids.forEach((id, i) => {
    scope.lookups.set(id, answers[i]);
    scope.pendingLookups.delete(id);
  });
}

async function resolve(id: string): Promise<unknown[]> {
  const colon = id.indexOf(':');
  const kind = id.slice(0, colon) as Kind;
  const name = id.slice(colon + 1);
  if (kind === 'srv') return lookupSrv(name);
  const ips = await lookupIps(name);
  if (kind === 'ip4') return ips.filter((ip) => !ip.includes(':'));
  if (kind === 'ip6') return ips.filter((ip) => ip.includes(':'));
  return ips;
}

/** The system resolver (like Go's net.LookupIP: /etc/hosts included), sorted, unique. */
async function lookupIps(name: string): Promise<string[]> {
  const { lookup } = await import('node:dns/promises');
  const addresses = await lookup(name, { all: true });
  // Go prints an IPv4-mapped IPv6 address as plain IPv4.
  const ips = addresses.map(({ address }) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, ''));
  return [...new Set(ips)].sort(compareStrings);
}

async function lookupSrv(name: string): Promise<SrvRecord[]> {
  const { Resolver } = await import('node:dns/promises');
  const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS / 2, tries: 2 });
  const records = await resolver.resolveSrv(name);
  return records
    .map(({ name: target, port, priority, weight }) => ({
      target,
      port,
      priority,
      weight,
      Target: target,
      Port: port,
      Priority: priority,
      Weight: weight,
    }))
    .sort(
      (a, b) =>
        compareStrings(a.target, b.target) || a.port - b.port || a.priority - b.priority || a.weight - b.weight,
    );
}

async function withTimeout<T>(work: Promise<T>): Promise<T> {
  const { setTimeout: sleep } = await import('node:timers/promises');
  const timer = new AbortController();
  try {
    return await Promise.race([
      work,
      sleep(LOOKUP_TIMEOUT_MS, undefined, { signal: timer.signal, ref: false }).then(() => {
        throw new Error('lookup timed out');
      }),
    ]);
  } finally {
    timer.abort();
  }
}
