// Go templates for a confdir: compiled once, the parse tree cached by content in keyplate's cache directory, and
// wrapped as the CompiledTemplate the pipeline renders. Imported only when a template is Go (engine.ts). The build
// makes this file and the Go engine a bundle of their own (dist/keyplate-go.cjs): inside the main bundle, their
// ~90 KB had cost every Handlebars start ~3 ms. So nothing crosses back by identity: syntax errors are returned as
// text, and engine.ts turns execution errors into keyplate's RenderError.
//
// The cache follows precompiled-cache.ts's rules (cache/disk.ts): an entry stores its full input (format, template
// names, texts) and is used only when that matches; unlike a Handlebars spec it is data (JSON), never code that runs.
// A start with the same Go templates as an earlier one reads them all from one entry (100 entries had cost 100
// reads); otherwise each comes from its own entry, so that an edit parses only the template edited.
import { basename } from 'node:path';
import { contentKey, readCached, writeCached } from '../cache/disk.js';
import { otherEngineHint } from './engine-choice.js';

export { chooseEngineOrSay, otherEngineHint } from './engine-choice.js';
import { didYouMean } from '../config/suggest.js';
import { compileGoTemplate, goFunctionNames, GoTemplateSyntaxError, loadGoTemplate, loadGoTemplates, type GoLiteralRead, type GoTemplate } from './go/index.js';
import type { CompiledTemplate } from './handlebars.js';

/** A Go template file to compile: its name under templates/, its path and its text. */
export interface GoTemplateFile {
  name: string;
  file: string;
  source: string;
}

const format = 'keyplate-go-template-2';

/** A compiled Go template with its literal store reads, for the load-time check of reads outside a resource's keys. */
export interface CompiledGoTemplate extends CompiledTemplate {
  readonly reads: readonly GoLiteralRead[];
}

/** The parsed template for `source`, from the cache or parsed now (then cached). confd names it by its base name. */
function cachedGoTemplate(cacheDir: string | undefined, file: string, source: string): GoTemplate {
  const name = basename(file);
  const input = `${format}\0${name}\0${source}`;
  const entry = `go-template-${contentKey(input)}.json`;
  const cached = readCached(cacheDir, entry, input);
  if (cached !== undefined) {
    try {
      return loadGoTemplate(cached);
    } catch {
      // An entry this version cannot read: parse again (and replace it).
    }
  }
  const template = compileGoTemplate(name, source);
  writeCached(cacheDir, entry, input, JSON.stringify(template));
  return template;
}

/** A syntax error as keyplate reports it: file:line:column first, then Go's own message, then a hint. */
function syntaxProblem(file: string, source: string, error: GoTemplateSyntaxError): string {
  const where = error.where ? `:${error.where.line}:${error.where.column}` : '';
  // An unknown function close to a known one is a typo, not the other template language.
  const unknown = /function "([^"]+)" not defined/.exec(error.message)?.[1];
  const typo = unknown === undefined ? '' : didYouMean(unknown, goFunctionNames);
  // Go says only "unexpected EOF": name the action that is still open.
  const open = error.unclosed ? `; the {{${error.unclosed.keyword}}} on line ${error.unclosed.line} has no {{end}}` : '';
  return `${file}${where}: Go template syntax error: ${error.message}${open}${typo || otherEngineHint(source, 'go')}`;
}

/** The compiled templates by file, or the problems: every syntax error and unknown function (file:line:column). */
export type GoCompileResult = { templates: Map<string, CompiledGoTemplate>; problems?: undefined } | { templates?: undefined; problems: string[] };

/**
 * Compile every Go template: a map from file to CompiledTemplate whose render passes the working directory (where
 * fileExists resolves relative paths, as confd's), or every problem found.
 */
export function compileGoTemplates(templates: readonly GoTemplateFile[], cacheDir: string | undefined): GoCompileResult {
  const input = `${format}s\0${templates.map((t) => `${basename(t.file)}\0${t.source}`).join('\0\0')}`;
  const entry = `go-templates-${contentKey(templates.map((t) => t.file).join('\0'))}.json`;
  let parsed = fromBundle(readCached(cacheDir, entry, input), templates.length);
  if (parsed === undefined) {
    const each = parseEach(templates, cacheDir);
    if (each.problems.length > 0) return { problems: each.problems };
    parsed = each.parsed;
    writeCached(cacheDir, entry, input, JSON.stringify(parsed));
  }
  const compiled = new Map<string, CompiledGoTemplate>();
  templates.forEach(({ name, file }, i) => {
    const template = parsed[i];
    compiled.set(file, {
      name,
      file,
      get reads() {
        return template.reads;
      },
      render: (scope) => template.render(scope, { cwd: process.cwd() }),
    });
  });
  return { templates: compiled };
}

/** The templates of a bundle entry, or undefined (no entry, or one this version cannot read). */
function fromBundle(json: string | undefined, count: number): GoTemplate[] | undefined {
  if (json === undefined) return undefined;
  try {
    const templates = loadGoTemplates(json);
    return templates.length === count ? templates : undefined;
  } catch {
    return undefined;
  }
}

/** Each template from its own entry or parsed, and every syntax error. */
function parseEach(templates: readonly GoTemplateFile[], cacheDir: string | undefined): { parsed: GoTemplate[]; problems: string[] } {
  const problems: string[] = [];
  const parsed: GoTemplate[] = [];
  for (const { file, source } of templates) {
    try {
      parsed.push(cachedGoTemplate(cacheDir, file, source));
    } catch (error) {
      // A tree nested deeper than JavaScript's stack reaches (thousands of parentheses) is the template's problem.
      if (error instanceof RangeError) problems.push(`${file}: the template nests too deep to read (max expression depth exceeded); flatten its nested calls`);
      else if (error instanceof GoTemplateSyntaxError) problems.push(syntaxProblem(file, source, error));
      else throw error;
    }
  }
  return { parsed, problems };
}
