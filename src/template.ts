// Templates: compile once per run (precompiled specs cached by content hash), render against a RenderScope.
import { readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import Runtime from 'handlebars/runtime';
import { contentKey, newTag, readCached, readCachedBinary, writeCached, writeCachedBinary } from './cache.js';
import { ConfigError, RenderError } from './errors.js';
import { writeOut } from './output.js';
import { helperNames, registerHelpers, resolvePendingLookups } from './helpers/index.js';
import type { RenderScope } from './store.js';
import { checkTemplate, type LiteralRead } from './template-check.js';
import { explainSyntaxError, rejectDeepNesting, rejectGoSyntax } from './template-syntax.js';

export interface RenderResult {
  output: string;
  usedKeys: string[];
  usedPatterns: string[];
  usedDirs: string[];
  missingKeys: string[];
}

type TemplateFn = (context: object, options: { data: { keyplate: RenderScope } }) => string;

export interface CompiledTemplate {
  /** Path relative to the templates directory, as resources name it. */
  readonly name: string;
  readonly file: string;
  /** The store reads written with a literal key, pattern or directory: each resource checks them against its keys. */
  readonly reads: readonly LiteralRead[];
  /** Synchronous unless the template looks something up in DNS (a promise then). */
  render(scope: RenderScope): RenderResult | Promise<RenderResult>;
}

export interface CompileOptions {
  /** Where precompiled specs are cached; undefined disables the cache. */
  cacheDir?: string;
}

const utf8 = { encoding: 'utf8' } as const;

/** Handlebars' own helpers; helperMissing and blockHelperMissing are always kept (the runtime moves them to hooks). */
const builtinHelpers = ['blockHelperMissing', 'helperMissing', 'each', 'if', 'unless', 'with', 'log', 'lookup'];

/** Runtime environments by the helpers they hold: templates naming the same helpers share one. */
const runtimes = new Map<string, typeof Runtime>();
let knownHelpers: Set<string> | undefined;

/**
 * A runtime environment holding only the helpers this template can reach. Handlebars re-wraps every registered
 * helper on every template call (~50 µs with all 47 registered, measured cold); a template names its helpers as
 * string literals in its compiled code, so registering just those keeps the exact semantics at a fraction of the cost.
 * Templates naming the same helpers share the environment (Handlebars keeps each template's state apart): making
 * one per template cost 100 distinct templates 15–30 ms.
 */
function runtimeFor(helpers: readonly string[]): typeof Runtime {
  const key = helpers.join(' ');
  let env = runtimes.get(key);
  if (env) return env;
  const named = new Set(helpers);
  env = Runtime.create();
  for (const name of builtinHelpers) {
    if (name !== 'helperMissing' && name !== 'blockHelperMissing' && !named.has(name)) env.unregisterHelper(name);
  }
  registerHelpers(env, (name) => named.has(name));
  // {{log}} goes to stderr like every other log line (Handlebars would print to stdout through console).
  (env as unknown as { log: (level: unknown, ...message: unknown[]) => void }).log = (_level, ...message) => {
    writeOut(2, `keyplate template log: ${message.map(String).join(' ')}\n`);
  };
  runtimes.set(key, env);
  return env;
}

/** The helpers a precompiled spec names (as string literals in its code), sorted: what its runtime must hold. */
function helpersOf(spec: string): string[] {
  const known = (knownHelpers ??= new Set([...builtinHelpers, ...helperNames]));
  const named = new Set<string>();
  for (const m of spec.matchAll(/"([A-Za-z_][\w]*)"/g)) if (known.has(m[1])) named.add(m[1]);
  return [...named].sort();
}

/**
 * Handlebars sets a template up on every call: it wraps each registered helper again and rebuilds the
 * prototype-access rules (~2.7 KB and ~15 µs a call, cold). What it builds depends only on the call's
 * helpers, partials, decorators and access options, and keyplate passes none of them, only `data`: the
 * set-up of the first call serves every later one. (A call as a partial keeps Handlebars' own handling.)
 */
function setUpOnce(template: TemplateFn): TemplateFn {
  const t = template as TemplateFn & { _setup?: (options: { partial?: boolean }) => void };
  const setUp = t._setup;
  if (typeof setUp !== 'function') return template;
  let done = false;
  t._setup = function (this: unknown, options) {
    if (done && !options.partial) return;
    setUp.call(this, options);
    done = !options.partial;
  };
  return template;
}

export { defaultCacheDir } from './cache.js';

type Compiler = typeof import('handlebars');
let compilerPromise: Promise<Compiler> | undefined;

/** The full Handlebars compiler costs ~15 ms to load, so it is imported only when a template is not cached. */
async function loadCompiler(): Promise<Compiler> {
  compilerPromise ??= import('handlebars').then((m) => {
    const hb = ((m as { default?: Compiler }).default ?? m) as Compiler;
    // Keep jison's error position: Handlebars' own parseError drops it.
    ((hb as unknown as { Parser: unknown }).Parser as { parseError: (s: string, hash: unknown) => never }).parseError = (message, hash) => {
      throw Object.assign(new Error(message), { hash });
    };
    return hb;
  });
  return compilerPromise;
}

/** A template's precompiled spec, and its literal reads as JSON on the line before it (how the cache holds both). */
async function precompile(file: string, source: string): Promise<string> {
  try {
    return await compileChecked(file, source);
  } catch (error) {
    // The parser and compiler recurse; what rejectDeepNesting lets through must still never surface as a RangeError.
    if (error instanceof RangeError) throw new ConfigError(`${file}: the template is too large or nests too deeply to compile (${error.message}); split it`, { cause: error });
    throw error;
  }
}

async function compileChecked(file: string, source: string): Promise<string> {
  const hb = await loadCompiler();
  rejectGoSyntax(file, source);
  rejectDeepNesting(file, source);
  let ast;
  try {
    ast = hb.parse(source);
  } catch (error) {
    throw explainSyntaxError(file, source, error);
  }
  const reads = checkTemplate(file, ast);
  try {
    return `${JSON.stringify(reads)}\n${hb.precompile(ast, { noEscape: true, srcName: undefined }) as string}`;
  } catch (error) {
    throw explainSyntaxError(file, source, error);
  }
}

function cacheName(source: string): string {
  return `template-${contentKey(`reads-1\0${Runtime.VERSION}\0noEscape\0${source}`)}.js`;
}

export interface TemplateFile {
  /** Path relative to the templates directory, as resources name it. */
  name: string;
  file: string;
}

/**
 * Compile every template of a confdir. A start with the same template files as an earlier one reads all their
 * precompiled specs from one cache entry and compiles them as one script: one `new Function` per template cost
 * 100 distinct templates ~10 ms, with as many cache files to read and names to hash. Otherwise each spec comes
 * from its own cache entry, or from the Handlebars compiler. All problems are reported together.
 */
export async function compileTemplates(templates: readonly TemplateFile[], options: CompileOptions = {}): Promise<Map<string, CompiledTemplate>> {
  const problems: string[] = [];
  const sources = templates.map(({ file }) => {
    try {
      return readFileSync(file, utf8);
    } catch (error) {
      problems.push(`${file}: cannot read the template (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      return undefined;
    }
  });
  const input = `keyplate-templates-3\0${Runtime.VERSION}\0noEscape\0${templates.map((t, i) => `${t.file}\0${sources[i]}`).join('\0\0')}`;
  const entry = `templates-${contentKey(templates.map((t) => t.file).join('\0'))}.js`;
  const cached = problems.length === 0 ? readCached(options.cacheDir, entry, input) : undefined;
  const specs: string[] = [];
  if (cached === undefined) {
    for (let i = 0; i < templates.length; i++) {
      if (sources[i] === undefined) continue;
      try {
        specs.push(await specFor(templates[i].file, sources[i]!, options));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(error.message);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  // One script of what Handlebars generated from the templates (or read back from our own cache): for each
  // template, the helpers it names and its spec. Beside it in the cache, V8's code cache for that script, so a
  // start neither parses the specs nor compiles each template's functions again when it first renders them.
  let tag: string;
  let text: string;
  if (cached === undefined) {
    tag = newTag();
    text = `[${specs.map((entry) => {
      const eol = entry.indexOf('\n');
      const spec = entry.slice(eol + 1);
      return `[${JSON.stringify(helpersOf(spec))}, ${spec}, ${entry.slice(0, eol)}]`;
    }).join(',\n')}]`;
    writeCached(options.cacheDir, entry, input, `${tag}\n${text}`);
  } else {
    const eol = cached.indexOf('\n');
    [tag, text] = [cached.slice(0, eol), cached.slice(eol + 1)];
  }
  const codeCache = `${entry}.v8`;
  const cachedData = cached === undefined ? undefined : readCachedBinary(options.cacheDir, codeCache, tag);
  const script = new Script(`(${text})`, { filename: 'keyplate-templates.js', cachedData });
  const pairs = script.runInThisContext() as Array<[string[], object, LiteralRead[]]>;
  if (options.cacheDir !== undefined && (cachedData === undefined || script.cachedDataRejected)) {
    saveAtExit(`${options.cacheDir}\0${codeCache}`, () => writeCachedBinary(options.cacheDir, codeCache, tag, script.createCachedData()));
  }

  const compiled = new Map<string, CompiledTemplate>();
  templates.forEach(({ name, file }, i) => {
    const [helpers, spec, reads] = pairs[i];
    const fn = setUpOnce(runtimeFor(helpers).template(spec as never) as unknown as TemplateFn);
    compiled.set(file, { name, file, reads, render: (scope) => renderWith(fn, name, scope) });
  });
  return compiled;
}

/**
 * Code caches are written at exit, so that the template functions the run compiled are in them too; one
 * writer per entry (a confdir reloaded in watch mode replaces its own), one exit listener in all.
 */
const atExit = new Map<string, () => void>();
function saveAtExit(key: string, write: () => void): void {
  if (atExit.size === 0) process.once('exit', () => atExit.forEach((save) => save()));
  atExit.set(key, write);
}

/** One template's precompiled spec (JavaScript source, after its reads' line), from its own cache entry or the compiler. */
async function specFor(file: string, source: string, options: CompileOptions): Promise<string> {
  const entry = cacheName(source);
  let spec = readCached(options.cacheDir, entry, source);
  if (spec === undefined) {
    spec = await precompile(file, source);
    writeCached(options.cacheDir, entry, source, spec);
  }
  return spec;
}

/**
 * One synchronous pass answers almost every template; lookups (DNS) are asynchronous, so a template that
 * makes one is rendered again once the answers are in, with no promise on the common path.
 */
function renderWith(fn: TemplateFn, name: string, scope: RenderScope): RenderResult | Promise<RenderResult> {
  const output = renderOnce(fn, name, scope);
  return scope.hasPendingLookups() ? renderWithLookups(fn, name, scope) : scope.result(output);
}

async function renderWithLookups(fn: TemplateFn, name: string, scope: RenderScope): Promise<RenderResult> {
  let output = '';
  // At most three renders in all, as lookups may depend on earlier answers.
  for (let pass = 0; pass < 2 && scope.hasPendingLookups(); pass++) {
    await resolvePendingLookups(scope);
    output = renderOnce(fn, name, scope);
  }
  return scope.result(output);
}

function renderOnce(fn: TemplateFn, name: string, scope: RenderScope): string {
  try {
    return fn({}, { data: { keyplate: scope } });
  } catch (error) {
    if (error instanceof RenderError) throw error;
    const e = error as Error & { lineNumber?: number };
    const where = typeof e.lineNumber === 'number' ? `:${e.lineNumber}` : '';
    throw new RenderError(`${name}${where}: ${e.message}`, { cause: error });
  }
}

