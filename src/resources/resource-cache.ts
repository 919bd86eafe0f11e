// Start-time machinery (see README "Benchmarks"; the other parts: template/runtime.ts, template/precompiled-cache.ts,
// config/toml.ts's parseTomlCached, all on cache/disk.ts): parsed and validated resource files, cached by content.
//
// A cold process pays several milliseconds to JIT the TOML parser for its first file, and parsing 100 small resource
// files cost ~7 ms (smol-toml; @iarna/toml had cost 15–40 ms). A cache hit is one read and a JSON.parse. Validated
// resources skip the checks an earlier start already passed with these exact files; what lies outside the files (a
// template still existing, a user or group name's id) is checked on every start. Errors are never cached.
import { contentKey, readCached, writeCached } from '../cache/disk.js';
import { isPlainJson } from '../config/toml.js';
import type { RenderLimits } from '../template/render-limits.js';

/** Part of every validated entry's input: bump it when the Resource shape changes, so an older entry is never used. */
const resourceShape = 'resource-4';

/** What validated resources depend on: the working directory (relative paths), confdir, global prefix and the files. */
export interface ResourceInput {
  confdir: string;
  prefix: string;
  files: readonly string[];
  texts: readonly string[];
}

/** `limits`: the render limits' defaults, which a resource without render_timeout or max_output takes. */
function validatedEntry({ confdir, prefix, files, texts }: ResourceInput, limits: RenderLimits): { name: string; input: string } {
  const where = `${process.cwd()}\0${confdir}\0${prefix}`;
  const shape = `${resourceShape}\0${limits.timeoutMs}\0${limits.maxOutputBytes}`;
  return { name: `validated-${contentKey(where)}.json`, input: `${shape}\0${where}\0\0${files.map((f, i) => `${f}\0${texts[i]}`).join('\0\0')}` };
}

/** The resources an earlier start validated from exactly this input, or undefined. */
export function readValidated<T>(cacheDir: string | undefined, key: ResourceInput, limits: RenderLimits): T[] | undefined {
  const { name, input } = validatedEntry(key, limits);
  const cached = readCached(cacheDir, name, input);
  return cached === undefined ? undefined : (JSON.parse(cached) as T[]);
}

/** Keep validated resources for the next start with the same input. */
export function saveValidated(cacheDir: string | undefined, key: ResourceInput, limits: RenderLimits, resources: readonly unknown[]): void {
  const { name, input } = validatedEntry(key, limits);
  writeCached(cacheDir, name, input, JSON.stringify(resources));
}

/**
 * TOML → plain objects for every file, from the cache when these exact files were parsed before; otherwise each text
 * through `parse`, which returns undefined for a file it reported as broken (then nothing is cached).
 */
export function parseFilesCached(
  cacheDir: string | undefined,
  files: readonly string[],
  texts: readonly string[],
  parse: (file: string, text: string) => Record<string, unknown> | undefined,
): Array<Record<string, unknown> | undefined> {
  const input = files.map((f, i) => `${f}\0${texts[i]}`).join('\0\0');
  // Named by the file list only (cheap to hash); the full input stored beside it decides whether it is a hit.
  const name = `resources-${contentKey(files.join('\0'))}.json`;
  const cached = readCached(cacheDir, name, input);
  if (cached !== undefined) return JSON.parse(cached) as Array<Record<string, unknown>>;
  const docs = files.map((file, i) => parse(file, texts[i]));
  // Only plain JSON values round-trip (a TOML date or a bigint would not): cache nothing else.
  if (docs.every((d) => d !== undefined && isPlainJson(d))) writeCached(cacheDir, name, input, JSON.stringify(docs));
  return docs;
}
