// Start-time machinery (see README "Benchmarks"; the other parts: template/runtime.ts, resources/resource-cache.ts,
// config/toml.ts's parseTomlCached, all on cache/disk.ts): compiled templates come back from the cache as one script,
// with V8's code cache.
//
// A start with the same template files as an earlier one reads every precompiled spec from one cache entry and runs
// them as one script: one `new Function` per template had cost 100 distinct templates ~10 ms, with as many cache files
// to read and names to hash. Beside that entry lies V8's code cache for the script, so a start neither parses the specs
// nor compiles each template's functions again when it first renders them. Together with the runtime sharing in
// runtime.ts, a template per resource went from 2.2× `node -e 0` to ~1.5× (README "Benchmarks").
// The Handlebars compiler (~15 ms to load) is needed only for a template that no entry holds.
import { Script } from 'node:vm';
import { contentKey, newTag, readCached, readCachedBinary, writeCached, writeCachedBinary } from '../cache/disk.js';
import type { LiteralRead } from './reads.js';
import { handlebarsVersion, helpersOf } from './runtime.js';

/** A template file and its text. */
export interface TemplateSource {
  file: string;
  source: string;
}

/** What the script gives back per template: the helpers its spec names, the spec object Handlebars runs, and its literal store reads. */
export interface PrecompiledTemplate {
  helpers: string[];
  spec: object;
  reads: LiteralRead[];
}

/** The one entry holding every spec of these exact files, or undefined (no cache, a miss, or other text). */
export interface TemplateBundle {
  entry: string;
  input: string;
  /** Written into the entry and its code cache alike: a code cache made for other text is never used. */
  cached?: { tag: string; text: string };
}

/** Look up the bundle for `templates` (with their current text) in `cacheDir`. */
export function readTemplateBundle(cacheDir: string | undefined, templates: readonly TemplateSource[]): TemplateBundle {
  const input = `keyplate-templates-3\0${handlebarsVersion}\0noEscape\0${templates.map((t) => `${t.file}\0${t.source}`).join('\0\0')}`;
  const entry = `templates-${contentKey(templates.map((t) => t.file).join('\0'))}.js`;
  const text = readCached(cacheDir, entry, input);
  if (text === undefined) return { entry, input };
  const eol = text.indexOf('\n');
  return { entry, input, cached: { tag: text.slice(0, eol), text: text.slice(eol + 1) } };
}

/**
 * One template's precompiled spec (JavaScript source) after its literal reads as JSON on the line before it, from
 * its own cache entry or from `compile` (then cached).
 */
export async function cachedSpec(cacheDir: string | undefined, source: string, compile: () => Promise<string>): Promise<string> {
  const entry = `template-${contentKey(`reads-1\0${handlebarsVersion}\0noEscape\0${source}`)}.js`;
  let spec = readCached(cacheDir, entry, source);
  if (spec === undefined) {
    spec = await compile();
    writeCached(cacheDir, entry, source, spec);
  }
  return spec;
}

/**
 * Run the bundle's script (from the cache, or made from `specs` and written to the cache) and return each template's
 * helpers, spec and literal reads, in order. The code cache is written at exit when V8 had none or rejected it.
 */
export function runTemplateBundle(cacheDir: string | undefined, bundle: TemplateBundle, specs: readonly string[]): PrecompiledTemplate[] {
  let { tag, text } = bundle.cached ?? { tag: '', text: '' };
  if (!bundle.cached) {
    tag = newTag();
    text = `[${specs.map((entry) => {
      const eol = entry.indexOf('\n');
      const spec = entry.slice(eol + 1);
      return `[${JSON.stringify(helpersOf(spec))}, ${spec}, ${entry.slice(0, eol)}]`;
    }).join(',\n')}]`;
    writeCached(cacheDir, bundle.entry, bundle.input, `${tag}\n${text}`);
  }
  const codeCache = `${bundle.entry}.${codeCacheEngine}`;
  const cachedData = bundle.cached ? readCachedBinary(cacheDir, codeCache, tag) : undefined;
  const script = new Script(`(${text})`, { filename: 'keyplate-templates.js', cachedData });
  const triples = script.runInThisContext() as Array<[string[], object, LiteralRead[]]>;
  if (cacheDir !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    saveAtExit(`${cacheDir}\0${codeCache}`, () => writeCachedBinary(cacheDir, codeCache, tag, script.createCachedData()));
  }
  return triples.map(([helpers, spec, reads]) => ({ helpers, spec, reads }));
}

/**
 * Whose code cache a companion holds: Node's V8 and the executable's JavaScriptCore (Bun) reject each other's, and
 * so do two versions of one engine. Named apart, `node dist/keyplate.cjs` and the executable sharing one cache
 * directory each keep their own instead of replacing the other's at every exit (test/cache-engines.test.ts).
 */
const codeCacheEngine = process.versions.bun ? `bun-${process.versions.bun}.jsc` : `v8-${process.versions.v8}.v8`;

/**
 * Code caches are written at exit, so that the template functions the run compiled are in them too; one writer per
 * entry (a confdir reloaded in watch mode replaces its own), one exit listener in all.
 */
const atExit = new Map<string, () => void>();
function saveAtExit(key: string, write: () => void): void {
  if (atExit.size === 0) process.once('exit', () => atExit.forEach((save) => save()));
  atExit.set(key, write);
}
