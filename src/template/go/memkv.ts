// confd's key functions (get, getv, exists, gets, getvs, ls, lsdir) as kelseyhightower/memkv implements them
// (store.go, the version confd 0.17 vendors), over keyplate's RenderScope. confd's store holds the resource's keys
// with the prefix stripped, and memkv compares the template's key text as written: `getv "db/host"` (no leading
// slash) never matches, `ls "/"` lists only top-level leaf keys, `lsdir "/"` nothing. Every read is recorded in the
// scope like the Handlebars helpers do; a missing key is recorded and reads as "" so that keyplate can wait for it.
import { BadPatternError, pathMatch, patternDir, validatePattern } from '../../keys/glob.js';
import { goBase, goClean, goDir } from '../helpers/path.js';
import type { RenderScope } from '../scope.js';
import { compareGoStrings, goSort } from './sort.js';
import { GoCallError, lineAndColumn, type State } from './state.js';
import { GoSlice, T, goFunc as fn, kvPair, stringSlice, type GoFunc, type Value } from './values.js';

/** What every function receives from the renderer. */
export interface GoRenderEnv {
  readonly scope: RenderScope;
  /** Directory relative paths (fileExists) resolve against: the runner's working directory. */
  readonly cwd: string;
}

/** The render environment from the call context a function receives (the executing state). */
export function envOf(call: unknown): GoRenderEnv {
  return (call as State).env as GoRenderEnv;
}

/**
 * Note the key, pattern or directory a function reads, as written: one the template computed (not a literal of the
 * template, perhaps built from values) is remembered with its position, so logs, check, /readyz and the status page
 * can show that position instead of a key that holds a value (RenderScope.readArg; issue 13).
 */
function noteRead(call: unknown, raw: unknown): void {
  if (typeof raw !== 'string') return;
  const state = call as State;
  envOf(call).scope.readArg(raw, {
    position: () => {
      if (state.node === undefined) return state.prog.parseName;
      const [line, col] = lineAndColumn(state.prog.text, state.node.pos);
      return `${state.prog.parseName}:${line}:${col + 1}`;
    },
  });
}

/** A key as memkv stores it: rooted and clean. Any other spelling names no key (confd compares text). */
function isStoredForm(key: string): boolean {
  return key === '/' || (key.startsWith('/') && !key.endsWith('/') && goClean(key) === key);
}

/** memkv's KeyError text. */
function keyError(key: string): never {
  throw new GoCallError(`key does not exist: ${key}`);
}

/** Look a key up; a missing key is recorded (keyplate waits for it) unless memkv could never hold that spelling. */
function lookup(scope: RenderScope, key: string, optional: boolean): string | undefined {
  const absolute = scope.absolute(key);
  scope.usedKeys.add(absolute);
  if (!isStoredForm(key)) return optional ? undefined : keyError(key);
  const value = scope.store.get(absolute);
  if (value === undefined && !optional) scope.missingKeys.add(absolute);
  return value;
}

function get(args: Value[], call: unknown): Value {
  const key = args[0] as string;
  noteRead(call, key);
  const value = lookup(envOf(call).scope, key, false);
  // memkv returns the zero KVPair with its error; keyplate records the key as missing and goes on.
  return value === undefined ? kvPair('', '') : kvPair(key, value);
}

function getv([key, ...defaults]: Value[], call: unknown): Value {
  noteRead(call, key);
  const value = lookup(envOf(call).scope, key as string, defaults.length > 0);
  if (value !== undefined) return value;
  return defaults.length > 0 ? defaults[0] : '';
}

function exists([key]: Value[], call: unknown): Value {
  noteRead(call, key);
  return lookup(envOf(call).scope, key as string, true) !== undefined;
}

/** Every [relative key, value] memkv would hold whose key could match `pattern` (memkv scans them all). */
function* candidates(scope: RenderScope, dir: string): Generator<[string, string]> {
  for (const [key, value] of scope.store.under(scope.absolute(dir))) yield [scope.relative(key), value];
}

/** memkv GetAll: path.Match against every key, sorted by key; a bad pattern is an error once a key is tried. */
function matching(scope: RenderScope, pattern: string): Array<[string, string]> {
  scope.usedPatterns.add(scope.absolute(pattern));
  let any = false;
  for (const _ of scope.store.under(scope.prefix)) {
    any = true;
    break;
  }
  if (!any) return [];
  try {
    validatePattern(pattern);
  } catch (error) {
    if (error instanceof BadPatternError) throw new GoCallError('syntax error in pattern');
    throw error;
  }
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of candidates(scope, pattern.startsWith('/') ? patternDir(pattern) : '/')) {
    if (pathMatch(pattern, key)) pairs.push([key, value]);
  }
  return pairs.sort((a, b) => compareGoStrings(a[0], b[0]));
}

function gets([pattern]: Value[], call: unknown): Value {
  noteRead(call, pattern);
  return new GoSlice(T.kvPairs, matching(envOf(call).scope, pattern as string).map(([k, v]) => kvPair(k, v)));
}

function getvs([pattern]: Value[], call: unknown): Value {
  noteRead(call, pattern);
  const values = matching(envOf(call).scope, pattern as string).map(([, v]) => v);
  goSort(values, (a, b) => compareGoStrings(a, b) < 0);
  return stringSlice(values);
}

/** pathToTerms: the clean path split at slashes ("/" gives ["", ""]). */
const terms = (p: string): string[] => goClean(p).split('/');

function samePrefixTerms(prefix: readonly string[], test: readonly string[]): boolean {
  return test.length >= prefix.length && prefix.every((t, i) => t === test[i]);
}

/** The keys memkv's List/ListDir loop could accept, and the directory recorded as used. */
function listed(scope: RenderScope, path: string): Array<[string, string]> {
  const dir = goClean(path);
  scope.usedDirs.add(scope.absolute(dir));
  return dir.startsWith('/') ? [...candidates(scope, dir)] : [];
}

/** memkv List: names of the children of `path`; a key equal to `path` lists its own base name. */
function ls([path]: Value[], call: unknown): Value {
  noteRead(call, path);
  const filePath = path as string;
  const prefix = terms(filePath);
  const names = new Set<string>();
  for (const [key] of listed(envOf(call).scope, filePath)) {
    if (key === filePath) {
      names.add(goBase(key));
      continue;
    }
    if (samePrefixTerms(prefix, terms(goDir(key)))) {
      // stripKey: the key without the path as written, and without a leading slash.
      const rest = (key.startsWith(filePath) ? key.slice(filePath.length) : key).replace(/^\//, '');
      names.add(rest.split('/')[0]);
    }
  }
  return stringSlice([...names].sort(compareGoStrings));
}

/** memkv ListDir: names of the children of `path` that have children of their own. */
function lsdir([path]: Value[], call: unknown): Value {
  noteRead(call, path);
  const filePath = path as string;
  const prefix = terms(filePath);
  const names = new Set<string>();
  for (const [key] of listed(envOf(call).scope, filePath)) {
    if (!key.startsWith(filePath)) continue;
    const items = terms(goDir(key));
    if (samePrefixTerms(prefix, items) && items.length - prefix.length >= 1) names.add(items[prefix.length]);
  }
  return stringSlice([...names].sort(compareGoStrings));
}

/** memkv's FuncMap, with Go signatures (confd adds it to the template's functions). */
export const memkvFuncs: readonly GoFunc[] = [
  fn('exists', [T.string], T.bool, false, exists),
  fn('ls', [T.string], T.stringSlice, false, ls),
  fn('lsdir', [T.string], T.stringSlice, false, lsdir),
  fn('get', [T.string], T.kvPair, true, get),
  fn('gets', [T.string], T.kvPairs, true, gets),
  fn('getv', [T.string], T.string, true, getv, T.string),
  fn('getvs', [T.string], T.stringSlice, true, getvs),
];

