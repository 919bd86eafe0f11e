// Reads outside a resource's keys are mistakes, never empty values: rejected at load when the template names the
// key, pattern or directory literally, and by the render when the template computes it. One rule, one message.
import { isUnder, joinKey } from '../keys/paths.js';
import { ConfigError } from '../errors.js';
import { patternDir } from '../keys/glob.js';

/** The store helpers and what their first argument names: a key, a path.Match pattern, or a directory. */
export const readHelpers: Readonly<Record<string, 'key' | 'pattern' | 'dir'>> = {
  get: 'key',
  getv: 'key',
  exists: 'key',
  gets: 'pattern',
  getvs: 'pattern',
  ls: 'dir',
  lsdir: 'dir',
};

/** A store read whose key, pattern or directory is a string literal in the template: checkable at load. */
export interface LiteralRead {
  helper: string;
  /** As written: relative to the resource's prefix. */
  arg: string;
  line: number;
  column: number;
}

/** What the rule needs to know of a resource. */
export interface KeyedResource {
  /** Its file relative to conf.d, as messages name it. */
  readonly name: string;
  /** Absolute key prefixes. */
  readonly keys: readonly string[];
  /** Absolute prefix templates' keys are relative to. */
  readonly prefix: string;
}

/**
 * Why `helper` reading `absolute` (a key, a path.Match pattern or a directory, by the helper) is outside the
 * resource's keys, or undefined when it is not. A key must lie under one of the keys; a pattern or a directory
 * must overlap them (`gets "/*"/port"` with keys ["/app"] can match /app/port), since a range disjoint from every
 * key can only ever read nothing. The message names what to add to `keys`, written as the template writes keys;
 * for a `computed` read (built by the template, perhaps from values) it names neither the key nor what to add.
 */
export function outsideKeys(helper: string, absolute: string, resource: KeyedResource, computed = false): string | undefined {
  const kind = readHelpers[helper] ?? 'key';
  const range = kind === 'pattern' ? patternDir(absolute) : absolute;
  // A loop, not keys.some(…): this runs for every literal read of every resource at each start, where a closure
  // per call counted (~0.4 KB per resource).
  const keys = resource.keys;
  for (let i = 0; i < keys.length; i++) if (isUnder(range, keys[i]) || (kind !== 'key' && isUnder(keys[i], range))) return undefined;
  const named = `the keys of ${resource.name} (${keys.join(', ') || 'none'})`;
  if (computed) {
    // A key the template built, maybe from values: named by position only, as values stay out of logs.
    return `\`${helper}\` reads a ${kind} the template computed, outside ${named} (not shown: it may hold values); add its prefix to keys in ${resource.name}`;
  }
  const relative = resource.prefix === '/' ? range : range.slice(resource.prefix.length) || '/';
  const what = kind === 'pattern' ? `matches ${absolute}` : kind === 'dir' ? `lists ${absolute}` : `reads ${absolute}`;
  return `\`${helper}\` ${what}, outside ${named}; add ${JSON.stringify(relative)} to keys in ${resource.name}`;
}

/**
 * Checks every resource's literal reads against its keys (a template shared by several resources is checked for
 * each); throws one ConfigError listing them all, each as template file:line:column.
 */
export function checkLiteralReads(loaded: readonly { resource: KeyedResource; template: { file: string; reads: readonly LiteralRead[] } }[]): void {
  const problems: string[] = [];
  // Indexed loops: the start path runs in V8's interpreter, where for…of allocates an iterator result per step.
  for (let r = 0; r < loaded.length; r++) {
    const { resource, template } = loaded[r];
    const reads = template.reads;
    for (let i = 0; i < reads.length; i++) {
      const read = reads[i];
      const message = outsideKeys(read.helper, joinKey(resource.prefix, read.arg), resource);
      if (message !== undefined) problems.push(`${template.file}:${read.line}:${read.column}: ${message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
}
