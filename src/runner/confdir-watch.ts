// Watch mode follows the confdir: conf.d and templates with their subdirectories, and what their symlinks point at,
// through the kernel's directory notifications (fs.watch, inotify on Linux); `onChange` once edits have settled.
// A Kubernetes ConfigMap (conf.d/x.toml → ..data/x.toml, ..data → ..2024_…) swaps `..data` in conf.d itself, so
// the swap is an event there; the new version's directory is watched from the next settle on.
// Not chokidar (which --env-file still uses): its first scan stats every file through promises. With 200
// resources (400 files) that scan ran before the first render and kept V8's memory reducer from returning the first
// render's heap: the first render took ~140 ms longer and RSS 10 s later was 88 MiB against 68 MiB without it
// (README "Benchmarks"). Here a settle lists directories only.
import { readdirSync, realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../ops/log.js';

/** Edits settle for this long before the confdir is read again (an editor may write a file in several steps). */
const settleMs = 100;
/** How deep subdirectories are followed: a symlink loop ends here, and so does a runaway tree. */
const maxDepth = 16;

/** Directories to watch (real paths), each with the names that matter in it (undefined: every name). */
type Wanted = Map<string, Set<string> | undefined>;

function want(wanted: Wanted, dir: string, name?: string): void {
  if (wanted.has(dir) && wanted.get(dir) === undefined) return;
  if (name === undefined) return void wanted.set(dir, undefined);
  const names = wanted.get(dir) ?? new Set<string>();
  names.add(name);
  wanted.set(dir, names);
}

function realpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined; // gone, or a dangling link: nothing to watch there (its directory is watched)
  }
}

/** `dir` and everything below it; a symlink to a file outside adds the target's directory, for that name only. */
function collect(dir: string, wanted: Wanted, depth: number): void {
  const real = realpath(dir);
  if (real === undefined || depth > maxDepth || (wanted.has(real) && wanted.get(real) === undefined)) return;
  want(wanted, real);
  let entries;
  try {
    entries = readdirSync(real, { withFileTypes: true });
  } catch {
    return; // not a directory, or unreadable: the load says so when it reads the confdir again
  }
  for (const entry of entries) {
    const entryPath = path.join(real, entry.name);
    if (entry.isDirectory()) collect(entryPath, wanted, depth + 1);
    else if (entry.isSymbolicLink()) {
      const target = realpath(entryPath);
      if (target === undefined) continue;
      let isDirectory = false;
      try {
        isDirectory = statSync(target).isDirectory();
      } catch {
        continue;
      }
      if (isDirectory) collect(target, wanted, depth + 1);
      else if (!target.startsWith(real + path.sep)) want(wanted, path.dirname(target), path.basename(target));
    }
  }
}

/**
 * Watch `confdir`'s conf.d and templates and call `onChange` once edits have settled. Resolves once the watch is
 * set up, with an idempotent close. A directory that cannot be watched is logged once and left out.
 */
export async function watchConfdir(confdir: string, onChange: () => void, log: Logger): Promise<() => Promise<void>> {
  /** By directory: its watcher, and which names it reacts to (`*`: all), to tell when that changes. */
  const watchers = new Map<string, { watcher: FSWatcher; names: string }>();
  let settling: NodeJS.Timeout | undefined;
  let closed = false;
  const changed = (): void => {
    if (closed) return;
    clearTimeout(settling);
    settling = setTimeout(() => {
      sync();
      onChange();
    }, settleMs);
  };

  /** Watch what the confdir holds now: new directories are added, gone ones closed. */
  function sync(): void {
    const wanted: Wanted = new Map();
    // The confdir itself, for conf.d or templates appearing, disappearing or being replaced.
    const root = realpath(confdir);
    if (root !== undefined) {
      want(wanted, root, 'conf.d');
      want(wanted, root, 'templates');
    }
    collect(path.join(confdir, 'conf.d'), wanted, 0);
    collect(path.join(confdir, 'templates'), wanted, 0);
    for (const [dir, { watcher }] of watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      watchers.delete(dir);
    }
    for (const [dir, names] of wanted) {
      const key = names === undefined ? '*' : [...names].sort().join('\n');
      const existing = watchers.get(dir);
      if (existing?.names === key) continue;
      existing?.watcher.close();
      try {
        const watcher = watch(dir, (_event, name) => {
          if (names === undefined || name === null || names.has(String(name))) changed();
        });
        watcher.on('error', (error) => {
          log.warn(`confdir watch: ${dir}: ${error.message}`);
          watcher.close();
          watchers.delete(dir);
        });
        watchers.set(dir, { watcher, names: key });
      } catch (error) {
        watchers.delete(dir);
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') log.warn(`confdir watch: cannot watch ${dir} (${(error as Error).message}); edits there are not followed`);
      }
    }
  }

  sync();
  return async () => {
    closed = true;
    clearTimeout(settling);
    for (const { watcher } of watchers.values()) watcher.close();
    watchers.clear();
  };
}
