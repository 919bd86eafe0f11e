// keyplate's on-disk cache of derived data (precompiled templates, parsed resource files), keyed by content.
// A hit must never change behaviour: every entry stores the exact input it was made from and is used only
// when that input matches in full, so a hash clash or a stale entry costs one recomputation, nothing else.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** $KEYPLATE_CACHE_DIR, else $XDG_CACHE_HOME/keyplate, else ~/.cache/keyplate; "off" (or no home) disables it. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KEYPLATE_CACHE_DIR === 'off') return undefined;
  if (env.KEYPLATE_CACHE_DIR) return env.KEYPLATE_CACHE_DIR;
  // HOME, not os.homedir(): node:os costs the start path ~4 ms to load.
  const home = env.HOME;
  if (!env.XDG_CACHE_HOME && !home) return undefined;
  return join(env.XDG_CACHE_HOME || join(home!, '.cache'), 'keyplate');
}

/**
 * A 64-bit FNV-1a-style hash, hex, naming a cache entry for `text`. It reads at most ~450 characters (the
 * start, the end, 64 samples between, and the length): each entry stores its full input and is used only when
 * that matches, so names that clash cost one recomputation, nothing else. Hashing every character of a long
 * text made this loop hot enough for V8 to optimize it on a background thread during the start (measured:
 * ~8 ms of compiling and 4 MB more memory for 100 resources under a long confdir path). node:crypto would
 * cost the start path ~5 ms to load.
 */
export function contentKey(text: string): string {
  const n = text.length;
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ n;
  const mix = (c: number): void => {
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  };
  if (n <= 448) {
    for (let i = 0; i < n; i++) mix(text.charCodeAt(i));
  } else {
    for (let i = 0; i < 192; i++) mix(text.charCodeAt(i));
    for (let i = 0; i < 64; i++) mix(text.charCodeAt(192 + Math.floor((i * (n - 384)) / 64)));
    for (let i = n - 192; i < n; i++) mix(text.charCodeAt(i));
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

const separator = '\n//--keyplate-input--\n';

const trusted = new Map<string, boolean>();

/**
 * Cached templates are JavaScript that keyplate runs, so a cache directory that someone else could write to
 * would let them run code as keyplate: use it only when it belongs to this user and no one else may write it.
 * A directory that does not exist yet is fine (it is created 0700).
 */
function isTrusted(cacheDir: string): boolean {
  let ok = trusted.get(cacheDir);
  if (ok === undefined) {
    try {
      const st = statSync(cacheDir);
      ok = st.isDirectory() && st.uid === (process.getuid?.() ?? st.uid) && (st.mode & 0o022) === 0;
    } catch {
      ok = true;
    }
    trusted.set(cacheDir, ok);
  }
  return ok;
}

declare const KEYPLATE_BUILD: string;
/**
 * The build that made an entry, part of every entry's input: an entry made by another build of keyplate (older rules
 * for what a template or resource may hold, another compiler) is made again, never served (scripts/lib/build-id.mjs).
 */
const build = typeof KEYPLATE_BUILD === 'string' ? KEYPLATE_BUILD : 'source';

/** The cached output for `input`, or undefined. */
export function readCached(cacheDir: string | undefined, name: string, input: string): string | undefined {
  if (!cacheDir || !isTrusted(cacheDir)) return undefined;
  try {
    const text = readFileSync(join(cacheDir, name), 'utf8');
    const at = text.indexOf(separator);
    if (at === -1 || !text.startsWith(build, at + separator.length) || text.charCodeAt(at + separator.length + build.length) !== 0) return undefined;
    return text.slice(at + separator.length + build.length + 1) === input ? text.slice(0, at) : undefined;
  } catch {
    return undefined;
  }
}

/** Store `output` as the entry `name` for `input` (written whole or not at all; a read-only cache is fine). */
export function writeCached(cacheDir: string | undefined, name: string, input: string, output: string): void {
  writeEntry(cacheDir, name, `${output}${separator}${build}\0${input}`);
}

/**
 * A binary companion of a text entry (V8's code cache for the script an entry holds), used only while it starts
 * with `tag`: a value the text entry carries too, made new each time the text is written. A companion made for
 * other text is never used, whatever its length (V8 itself checks only the length of the source).
 */
export function readCachedBinary(cacheDir: string | undefined, name: string, tag: string): Buffer | undefined {
  if (!cacheDir || !isTrusted(cacheDir)) return undefined;
  try {
    const data = readFileSync(join(cacheDir, name));
    const head = Buffer.from(`${tag}\n`);
    return data.length > head.length && data.subarray(0, head.length).equals(head) ? data.subarray(head.length) : undefined;
  } catch {
    return undefined;
  }
}

/** Store `data` as the binary companion `name`, marked with its text entry's `tag` (see readCachedBinary). */
export function writeCachedBinary(cacheDir: string | undefined, name: string, tag: string, data: Buffer): void {
  writeEntry(cacheDir, name, Buffer.concat([Buffer.from(`${tag}\n`), data]));
}

/** A tag for a text entry's companions: unique enough that two writes never share one. */
export function newTag(): string {
  return `${process.pid.toString(36)}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function writeEntry(cacheDir: string | undefined, name: string, data: string | Buffer): void {
  if (!cacheDir || !isTrusted(cacheDir)) return;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = join(cacheDir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, join(cacheDir, name));
  } catch {
    // A read-only home or cache is fine: the next start computes again.
  }
}
