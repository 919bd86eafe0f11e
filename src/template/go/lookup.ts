// confd's DNS functions (lookupIP, lookupIPV4, lookupIPV6, lookupSRV). Rendering is synchronous, so as for the
// Handlebars helpers (src/helpers/net.ts) a lookup answers from scope.lookups or records itself in
// scope.pendingLookups and answers empty; the renderer resolves the pending ones and renders again.
import type { SrvRecord } from '../helpers/net.js';
import type { RenderScope } from '../scope.js';
import { envOf } from './memkv.js';
import { compareGoStrings, goSort } from './sort.js';
import { GoInt, GoPtr, GoSlice, GoStruct, T, goFunc, stringSlice, type GoFunc, type Value } from './values.js';

/** The cached answer for `kind:name`, or undefined after recording it as pending. */
function cached(scope: RenderScope, id: string): unknown[] | undefined {
  if (scope.lookups.has(id)) return scope.lookups.get(id) as unknown[];
  scope.pendingLookups.add(id);
  return undefined;
}

/** LookupIP and its IPv4/IPv6 filters: sorted address strings; nil when the lookup failed or nothing matched. */
function lookupIps(kind: 'ip' | 'ip4' | 'ip6', name: string, call: unknown): Value {
  const ips = (cached(envOf(call).scope, `${kind}:${name}`) ?? []) as string[];
  return stringSlice([...ips], ips.length === 0);
}

/** net.SRV with Go's field types; Go returns the target as a fully qualified name (trailing dot). */
function srvStruct(r: SrvRecord): GoPtr {
  const target = r.target.endsWith('.') ? r.target : `${r.target}.`;
  const u16 = (n: number): GoInt => new GoInt(T.uint16, BigInt(n));
  return new GoPtr(T.srvPtr, new GoStruct(T.srv, [target, u16(r.port), u16(r.priority), u16(r.weight)]));
}

/** LookupSRV: sorted by the text Target+Port+Priority+Weight as confd's sortSRV does; empty (not nil) on failure. */
function lookupSrv([service, proto, name]: Value[], call: unknown): Value {
  const id = service === '' && proto === '' ? name : `_${service}._${proto}.${name}`;
  const records = ((cached(envOf(call).scope, `srv:${id}`) ?? []) as SrvRecord[]).map(srvStruct);
  const key = (p: GoPtr): string => {
    const [target, port, priority, weight] = p.elem!.fields as [string, GoInt, GoInt, GoInt];
    return `${target}${port.v}${priority.v}${weight.v}`;
  };
  goSort(records, (a, b) => compareGoStrings(key(a), key(b)) < 0);
  return new GoSlice(T.srvPtrSlice, records);
}

function fn(name: string, params: number, impl: GoFunc['impl'], result = T.stringSlice): GoFunc {
  return goFunc(name, Array(params).fill(T.string), result, false, impl);
}

/** confd's lookup functions, with their Go signatures. */
export const lookupFuncs: readonly GoFunc[] = [
  fn('lookupIP', 1, ([n], call) => lookupIps('ip', n as string, call)),
  fn('lookupIPV4', 1, ([n], call) => lookupIps('ip4', n as string, call)),
  fn('lookupIPV6', 1, ([n], call) => lookupIps('ip6', n as string, call)),
  fn('lookupSRV', 3, lookupSrv, T.srvPtrSlice),
];
