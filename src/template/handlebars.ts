// Handlebars templates: compile a confdir's templates (through the cache), render one against a RenderScope.
import { readFileSync } from 'node:fs';
import { cachedSpec, readTemplateBundle, runTemplateBundle, type TemplateSource } from './precompiled-cache.js';
import { ConfigError, RenderError } from '../errors.js';
import { resolvePendingLookups } from './helpers/index.js';
import { checkTemplate } from './helper-check.js';
import type { LiteralRead } from './reads.js';
import { templateFromSpec, type TemplateFn } from './runtime.js';
import type { RenderScope } from './scope.js';
import { explainSyntaxError, rejectDeepNesting, rejectGoSyntax } from './syntax.js';

export interface RenderResult {
  output: string;
  usedKeys: string[];
  usedPatterns: string[];
  usedDirs: string[];
  missingKeys: string[];
  /** Keys, patterns and directories the template computed, with their template positions (RenderScope.readArg). */
  computed?: ReadonlyMap<string, string>;
}

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

export interface TemplateFile {
  /** Path relative to the templates directory, as resources name it. */
  name: string;
  file: string;
  /** The file's text, when the caller has read it already. */
  source?: string;
}

/**
 * Compile every template of a confdir, from the cache where it can (src/cache/templates.ts), else with the Handlebars
 * compiler. Throws one ConfigError listing every unreadable template and every syntax error or unknown helper.
 */
export async function compileTemplates(templates: readonly TemplateFile[], options: CompileOptions = {}): Promise<Map<string, CompiledTemplate>> {
  const problems: string[] = [];
  const sources: TemplateSource[] = [];
  for (const { file, source } of templates) {
    try {
      sources.push({ file, source: source ?? readFileSync(file, utf8) });
    } catch (error) {
      problems.push(`${file}: cannot read the template (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const bundle = readTemplateBundle(problems.length === 0 ? options.cacheDir : undefined, sources);
  const specs: string[] = [];
  if (!bundle.cached) {
    for (const { file, source } of sources) {
      try {
        specs.push(await cachedSpec(options.cacheDir, source, () => precompile(file, source)));
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        problems.push(error.message);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const precompiled = runTemplateBundle(options.cacheDir, bundle, specs);
  const compiled = new Map<string, CompiledTemplate>();
  templates.forEach(({ name, file }, i) => {
    const fn = templateFromSpec(precompiled[i].spec, precompiled[i].helpers);
    compiled.set(file, { name, file, reads: precompiled[i].reads, render: (scope) => renderWith(fn, name, scope) });
  });
  return compiled;
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

