// The env backend: key /database/host ↔ variable DATABASE_HOST; --env-file adds what the environment lacks, and its
// watch follows edits of those files.
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { normalizeKey } from '../src/keys/paths.js';
import { BackendError, type Backend, type BackendOptions, type WatchOptions } from './types.js';

/** `/database/host` → `DATABASE_HOST` (confd's mapping). */
export function keyToVariable(key: string): string {
  return normalizeKey(key).slice(1).replace(/\//g, '_').toUpperCase();
}

/** A variable name as a shell, Docker and Kubernetes accept it (POSIX: letters, digits and `_`, not first a digit). */
const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The hint for a key no variable gave: the variable to set, or why none can hold the key (a key with `.` or `-`
 * maps to no valid name), or, when the variable is set, that the key lies outside the resource's `keys`.
 */
function hintForKey(key: string, vars: NodeJS.ProcessEnv): string {
  const name = keyToVariable(key);
  if (!variableName.test(name)) {
    return `it maps to \`${name}\`, not a portable variable name (letters, digits and _): keyplate reads it when set, but POSIX shells drop such names, the \`keyplate\` launcher of the npm package (a shell script) among them; run the executable or \`node dist/keyplate.cjs\` with no shell in between, or rename the key`;
  }
  if (vars[name] !== undefined) return `${name} is set, but this key is outside the resource's keys`;
  return `set ${name}`;
}

/**
 * A key or pattern that is already its variable's spelling (printable ASCII without capitals or `_`; no empty, `.`
 * or trailing segment): keyOf returns it as it is. Most reads name such keys, and mapping each there and back made
 * two regular-expression replaces and four strings per read.
 */
const plainKey = /^(?:\/(?!\.(?:\/|$))[!-.0-@[-^`-~]+)+$/;

/** `DATABASE_HOST` → `/database/host`. */
export function variableToKey(name: string): string {
  return '/' + name.toLowerCase().replace(/_/g, '/');
}

/**
 * A plain-object copy of the process environment. Each read of `process.env` is a call into C++ (about 20 µs
 * here), which made reading 300 variables cost ~8 ms; on Linux the same variables come from one read of
 * /proc/self/environ. Node never changes its own environment at start, and keyplate never writes to it.
 */
export function processEnvironment(): NodeJS.ProcessEnv {
  if (process.platform === 'linux') {
    try {
      const bytes = readFileSync('/proc/self/environ');
      // Node decodes variables as UTF-8; a plain-ASCII environment (the usual case) is a byte-for-byte copy.
      const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
      const env: NodeJS.ProcessEnv = {};
      // NAME=value entries separated by NUL, scanned in place rather than split into an array first.
      for (let i = 0; i < text.length; ) {
        let end = text.indexOf('\0', i);
        if (end === -1) end = text.length;
        const eq = text.indexOf('=', i);
        if (eq > i && eq < end) env[text.slice(i, eq)] = text.slice(eq + 1, end);
        i = end + 1;
      }
      // Variables set after exec are not in /proc: Node's own --env-file sets some (Node 20 even takes keyplate's
      // --env-file), and so could a preloaded script. Only then compare with process.env (listing it costs ~0.3 ms).
      const pristine = process.execArgv.length === 0 && env.NODE_OPTIONS === undefined && !process.argv.some((a) => a.startsWith('--env-file'));
      if (pristine || Object.keys(env).length === Object.keys(process.env).length) return env;
    } catch {
      // fall through
    }
  }
  return { ...process.env };
}

/**
 * The process environment plus dotenv files; a variable set in the real environment wins, as dotenv does.
 * Throws a permanent BackendError naming a file that cannot be read and `setting`, where the files were given: only
 * the user fixing it can help.
 */
export function environmentWithFiles(files: readonly string[], environment: NodeJS.ProcessEnv = process.env, setting = '--env-file'): NodeJS.ProcessEnv {
  if (files.length === 0) return environment;
  const merged: NodeJS.ProcessEnv = {};
  // Earlier files win over later ones, like `dotenv -e a -e b`.
  for (const file of [...files].reverse()) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new BackendError('env', `${file}: cannot read the env file (${why}); fix ${setting}`, { cause: error, permanent: true });
    }
    Object.assign(merged, parseEnv(text));
  }
  return Object.assign(merged, environment);
}

/** Variables' names sorted, per environment object: a prefix's variables are then one range, found by binary search. */
const sortedNames = new WeakMap<NodeJS.ProcessEnv, string[]>();

/** Every key under `prefixes` in `vars`: `/key` takes KEY and KEY_…, never KEYSTONE (confd takes that too). */
function valuesUnder(vars: NodeJS.ProcessEnv, prefixes: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  const take = (name: string): void => {
    const value = vars[name];
    if (value !== undefined) values.set(variableToKey(name), value);
  };
  const roots = new Set(prefixes.map(keyToVariable));
  if (roots.has('')) {
    for (const name in vars) take(name);
    return values;
  }
  // The work follows the matches, not the size of the environment (a Kubernetes pod carries a few variables per
  // service in its namespace).
  let names = sortedNames.get(vars);
  if (!names) sortedNames.set(vars, (names = Object.keys(vars).sort()));
  for (const root of roots) {
    // Written out, not shared with KeyStore.under: see the note there.
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (names[mid] < root) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < names.length && names[i].startsWith(root); i++) {
      if (names[i].length === root.length || names[i].charCodeAt(root.length) === 95 /* _ */) take(names[i]);
    }
  }
  return values;
}

/** Edits of env files settle for this long before they are read (an editor may write a file in several steps). */
const settleMs = 100;
/** While an env file cannot be read, it is read again this often, whatever the file watch reports. */
const downRecheckMs = 1_000;

/**
 * The env backend. It cannot change by itself (`canChange: false`): its watch emits one `reset`, then follows the
 * --env-file files, with a fresh `reset` after each edit, or a `status` down (permanent) while a file cannot be read.
 */
export function createEnvBackend(options: BackendOptions): Backend {
  const processEnv = options.environment ?? process.env;
  let closed: Promise<void> | undefined;
  const read = (): NodeJS.ProcessEnv => environmentWithFiles(options.envFiles, processEnv, options.envFilesSetting);

  async function watch(prefixes: readonly string[], { signal, onEvent }: WatchOptions): Promise<void> {
    let down = false;
    let recheck: NodeJS.Timeout | undefined;
    const publish = (): void => {
      let values: Map<string, string>;
      clearTimeout(recheck);
      try {
        values = valuesUnder(read(), prefixes);
      } catch (error) {
        if (!down) onEvent({ kind: 'status', up: false, error: error as Error });
        down = true;
        // Read again each second while a file cannot be read: under Bun (the executable) the watch sometimes
        // reports nothing after an env file that became a directory is a file again, and keyplate stayed down.
        recheck = setTimeout(publish, downRecheckMs);
        return;
      }
      if (down) onEvent({ kind: 'status', up: true });
      down = false;
      onEvent({ kind: 'reset', values });
    };
    if (options.envFiles.length === 0 || signal.aborted) {
      publish();
      return untilAborted(signal);
    }
    const { watch: watchPaths } = await import('chokidar');
    // The directories, not the files: an editor that saves by rename, or a file deleted and made again, stays followed.
    const files = new Set(options.envFiles.map((f) => resolve(f)));
    const watcher = watchPaths([...new Set([...files].map((f) => dirname(f)))], { ignoreInitial: true, depth: 0, awaitWriteFinish: false });
    let settling: NodeJS.Timeout | undefined;
    watcher.on('all', (_event, path) => {
      if (!files.has(resolve(path))) return;
      clearTimeout(settling);
      settling = setTimeout(publish, settleMs);
    });
    watcher.on('error', () => undefined); // a file that vanishes is reported by the next read, with its name
    try {
      // Read once the watcher is ready, so that no edit falls between the read and the watch.
      await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
      publish();
      await untilAborted(signal);
    } finally {
      clearTimeout(settling);
      clearTimeout(recheck);
      await watcher.close();
    }
  }

  return {
    name: 'env',
    canChange: false,
    getValues: async (prefixes) => valuesUnder(read(), prefixes),
    watch,
    // `_` is `/` to the mapping, and case does not count: every spelling of a variable's key reads it.
    keyOf: (key) => (plainKey.test(key) ? key : variableToKey(keyToVariable(key))),
    hintForKey: (key) => {
      let vars: NodeJS.ProcessEnv;
      try {
        vars = read();
      } catch {
        vars = processEnv;
      }
      return hintForKey(key, vars);
    },
    close: () => (closed ??= Promise.resolve()),
  } satisfies Backend;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
