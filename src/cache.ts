// keyplate's on-disk cache of derived data (precompiled templates, parsed resource files), keyed by content.
// A hit must never change behaviour: every entry stores the exact input it was made from and is used only
// when that input matches in full, so a hash clash or a stale entry costs one recomputation, nothing else.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** $KEYPLATE_CACHE_DIR, else $XDG_CACHE_HOME/keyplate, else ~/.cache/keyplate; "off" (or no home) disables it. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.KEYPLATE_CACHE_DIR === 'off') return undefined;
  if (env.KEYPLATE_CACHE_DIR) return env.KEYPLATE_CACHE_DIR;
  // HOME, not os.homedir(): node:os costs the start path ~4 ms to load.
  const home = env.HOME;
  if (!env.XDG_CACHE_HOME && !home) return undefined;
  return path.join(env.XDG_CACHE_HOME || path.join(home!, '.cache'), 'keyplate');
}

/** 64-bit FNV-1a-style hash, hex. node:crypto would cost the start path ~5 ms to load; clashes are harmless (see above). */
export function contentKey(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
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

/** The cached output for `input`, or undefined. */
export function readCached(cacheDir: string | undefined, name: string, input: string): string | undefined {
  if (!cacheDir || !isTrusted(cacheDir)) return undefined;
  try {
    const text = readFileSync(path.join(cacheDir, name), 'utf8');
    const at = text.indexOf(separator);
    return at !== -1 && text.slice(at + separator.length) === input ? text.slice(0, at) : undefined;
  } catch {
    return undefined;
  }
}

export function writeCached(cacheDir: string | undefined, name: string, input: string, output: string): void {
  if (!cacheDir || !isTrusted(cacheDir)) return;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const tmp = path.join(cacheDir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, output + separator + input, { mode: 0o600 });
    renameSync(tmp, path.join(cacheDir, name));
  } catch {
    // A read-only home or cache is fine: the next start computes again.
  }
}
