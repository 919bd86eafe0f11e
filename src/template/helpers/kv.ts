// Store helpers (get, getv, exists, gets, getvs, ls, lsdir): confd's memkv functions over the render scope.
//
// Template keys are relative to the prefix; returned pair keys are prefix-stripped, as confd does.
// Every read is recorded in the scope (used keys, patterns, dirs) and a missing key never throws:
// it is collected so one render reports every missing key at once.
import { BadPatternError, pathMatch, patternDir, validatePattern } from '../../keys/glob.js';
import { outsideKeys } from '../reads.js';
import { ResourceScope } from '../resource-scope.js';
import { kvPair, type KVPair, type RenderScope } from '../scope.js';
import { compareStrings, keyArg, str, type HelperCall, type HelperTable } from './common.js';
import { goBase } from './path.js';

/**
 * A read that found nothing may have been outside the resource's keys (a key the template computed; literal ones
 * are rejected at load): that is an error, never an empty value or a default. Checked only on the empty path.
 */
function rejectOutside(call: HelperCall, scope: RenderScope, absolute: string): void {
  if (!(scope instanceof ResourceScope)) return;
  const message = outsideKeys(call.name, absolute, scope.resource, true);
  if (message !== undefined) call.failAt(message);
}

function get(call: HelperCall, args: readonly unknown[]): KVPair {
  const scope = call.requireScope();
  const key = scope.readArg(keyArg(call, args[0]), call);
  scope.usedKeys.add(key);
  const value = scope.store.get(key);
  if (value === undefined) {
    rejectOutside(call, scope, key);
    scope.missingKeys.add(key);
  }
  return kvPair(scope.relative(key), value ?? '');
}

function getv(call: HelperCall, args: readonly unknown[]): string {
  const scope = call.requireScope();
  const key = scope.readArg(keyArg(call, args[0]), call);
  scope.usedKeys.add(key);
  const value = scope.store.get(key);
  if (value !== undefined) return value;
  rejectOutside(call, scope, key);
  // A default, even "", means the key is optional.
  if (args.length > 1) return str(call, args[1], 'default');
  scope.missingKeys.add(key);
  return '';
}

function exists(call: HelperCall, args: readonly unknown[]): boolean {
  const scope = call.requireScope();
  const key = scope.readArg(keyArg(call, args[0]), call);
  // Recorded so that the key appearing later re-renders the template; never missing.
  scope.usedKeys.add(key);
  if (scope.store.has(key)) return true;
  rejectOutside(call, scope, key);
  return false;
}

/** Patterns already checked: templates name a handful, and render many times. */
const validPatterns = new Set<string>();

/** Pairs whose prefix-stripped key matches `pattern` (Go path.Match), sorted by key. */
function matching(call: HelperCall, patternArg: unknown): KVPair[] {
  const scope = call.requireScope();
  const raw = keyArg(call, patternArg, 'pattern');
  const absolute = scope.readArg(raw, call);
  // confd matches the pattern as written against `/`-rooted relative keys; we normalise it the
  // same way as keys (`upstream/*` = `/upstream/*`), so it agrees with what getv accepts.
  const pattern = scope.relative(absolute);
  if (!validPatterns.has(pattern)) {
    try {
      validatePattern(pattern);
    } catch (error) {
      const shown = scope.isComputed(absolute) ? 'computed by the template' : `\`${raw}\``;
      if (error instanceof BadPatternError) call.fail(`malformed pattern ${shown} (path.Match syntax: * ? [a-z] [^a] \\x)`);
      throw error;
    }
    // Patterns built from values could grow without bound in a long watch: start over past a limit.
    if (validPatterns.size >= 1024) validPatterns.clear();
    validPatterns.add(pattern);
  }
  scope.usedPatterns.add(absolute);
  const pairs: KVPair[] = [];
  // Only keys under the pattern's literal directory can match: scan there, not the whole prefix.
  for (const [key, value] of scope.store.under(scope.absolute(patternDir(pattern)))) {
    const relative = scope.relative(key);
    if (pathMatch(pattern, relative)) pairs.push(kvPair(relative, value));
  }
  if (pairs.length === 0) rejectOutside(call, scope, absolute);
  return pairs.sort((a, b) => compareStrings(a.key, b.key));
}

/**
 * Child names directly under `path`. confd's `ls "/"` lists only top-level leaf keys and its
 * `lsdir "/"` is always empty (it compares path terms of path.Clean("/") = ["", ""]); that is a bug,
 * so here `/` behaves like any other directory.
 */
function children(call: HelperCall, pathArg: unknown, dirsOnly: boolean): string[] {
  const scope = call.requireScope();
  const dir = scope.readArg(keyArg(call, pathArg, 'path'), call);
  scope.usedDirs.add(dir);
  const names = new Set<string>();
  const skip = dir === '/' ? 1 : dir.length + 1;
  for (const [key] of scope.store.under(dir)) {
    if (key === dir) {
      // As in confd: a path that is itself a key lists its own base name (not for the root).
      const relative = scope.relative(key);
      if (!dirsOnly && relative !== '/') names.add(goBase(relative));
      continue;
    }
    const rest = key.slice(skip);
    const slash = rest.indexOf('/');
    if (dirsOnly && slash < 0) continue;
    const name = slash < 0 ? rest : rest.slice(0, slash);
    if (name !== '') names.add(name);
  }
  if (names.size === 0) rejectOutside(call, scope, dir);
  return [...names].sort(compareStrings);
}

export const kvHelpers: HelperTable = {
  get: { arity: [1, 1], fn: get },
  getv: { arity: [1, 2], fn: getv },
  exists: { arity: [1, 1], fn: exists },
  gets: { arity: [1, 1], fn: (call, args) => matching(call, args[0]) },
  getvs: {
    arity: [1, 1],
    fn: (call, args) => matching(call, args[0]).map((pair) => pair.value).sort(compareStrings),
  },
  ls: { arity: [1, 1], fn: (call, args) => children(call, args[0], false) },
  lsdir: { arity: [1, 1], fn: (call, args) => children(call, args[0], true) },
};
