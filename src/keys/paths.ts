// Key paths as keyplate writes them (`/app/db/host`): normalising, joining, prefix tests. Both sides use them: the
// backends (reading and watching prefixes) and the agent (resources, the key store, templates).

/** Normalise a prefix to an absolute key path without trailing slash ('/' for the root). */
export function normalizeKey(key: string): string {
  // Fast path: already absolute, no empty, `.` or trailing segments.
  if (key === '/' || (key.charCodeAt(0) === 47 && !/\/\/|\/\.(\/|$)|\/$/.test(key))) return key;
  let out = '';
  for (const part of key.split('/')) if (part !== '' && part !== '.') out += '/' + part;
  return out === '' ? '/' : out;
}

/** `key` under `prefix`, normalised: joinKey('/app', '/db/') is '/app/db'. The common shapes skip the split. */
export function joinKey(prefix: string, key: string): string {
  if (key === '' || key === '/') return normalizeKey(prefix);
  if (prefix === '' || prefix === '/') return normalizeKey(key);
  return normalizeKey(key.charCodeAt(0) === 47 ? prefix + key : `${prefix}/${key}`);
}

/** True when `key` is `prefix` or lies under it at a `/` boundary. */
export function isUnder(key: string, prefix: string): boolean {
  if (prefix === '/') return key.startsWith('/');
  return key === prefix || (key.startsWith(prefix) && key.charCodeAt(prefix.length) === 47 /* / */);
}

/** The smallest set of prefixes covering all given ones (`/app` covers `/app/db`), sorted. */
export function coveringPrefixes(prefixes: Iterable<string>): string[] {
  const all = new Set<string>();
  for (const p of prefixes) all.add(normalizeKey(p));
  if (all.has('/')) return ['/'];
  // A prefix is dropped when one of its ancestors is in the set: a walk up its own path, not a scan of the others.
  const out: string[] = [];
  for (const p of all) {
    let covered = false;
    for (let i = p.lastIndexOf('/'); i > 0 && !covered; i = p.lastIndexOf('/', i - 1)) covered = all.has(p.slice(0, i));
    if (!covered) out.push(p);
  }
  return out.sort();
}

/**
 * The prefix in `prefixes` that `key` (normalised) lies under, found by walking up the key's own path: a few Set
 * lookups whatever the number of prefixes. A key under 200 prefixes' worth of reads checked each against every
 * prefix had cost 10,000 × 200 comparisons (~35 ms of a 10,000-key `--onetime`, --cpu-prof). With overlapping
 * prefixes it returns the longest; `coveringPrefixes` gives sets without overlaps.
 */
export function prefixOf(key: string, prefixes: ReadonlySet<string>): string | undefined {
  if (prefixes.has(key)) return key;
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) {
    const up = key.slice(0, i);
    if (prefixes.has(up)) return up;
  }
  return prefixes.has('/') && key.charCodeAt(0) === 47 ? '/' : undefined;
}
