// Template syntax errors in the user's terms: what to change, where, instead of the Handlebars parser's grammar
// ("Expecting 'ID', 'STRING' … got 'SEP'"). Also recognises confd's Go template syntax, which parses as
// Handlebars only by accident (`{{range …}}` is a call of a helper named range) or not at all (`{{.Value}}`).
import { ConfigError } from '../errors.js';

/** What the README's migration section is called, so that messages can point there. */
const migration = 'see "Migrating from confd" in the README';

interface GoConstruct {
  pattern: RegExp;
  /** What to write instead, in Handlebars. */
  instead: string;
}

/** Go template constructs, each matched at a `{{` (not `\{{`, Handlebars' escape), with the Handlebars spelling. */
const goConstructs: readonly GoConstruct[] = [
  { pattern: /^\{\{-?\s*range\b/, instead: '{{#each (gets "/u/*")}}…{{/each}}' },
  { pattern: /^\{\{-?\s*end\s*-?\}\}/, instead: 'the block\'s own close, {{/each}}, {{/if}} or {{/with}}' },
  { pattern: /^\{\{-?\s*(if|with)\s/, instead: '{{#if (exists "/a")}}…{{/if}}, {{#with …}}…{{/with}}' },
  { pattern: /^\{\{-?\s*(define|template|block)\s/, instead: 'the text itself (keyplate has no named templates)' },
  { pattern: /^\{\{-?\s*\.[A-Za-z_]/, instead: '{{value}}, {{key}} (fields without the dot)' },
  { pattern: /^\{\{-?\s*\$/, instead: '{{#with (json (getv "/j"))}}{{port}}{{/with}} (no variables)' },
  { pattern: /^\{\{-\s/, instead: '{{~ (Handlebars trims whitespace with ~)' },
  { pattern: /^\{\{(?:(?!\}\})[^|])*\s\|\s*[A-Za-z]/, instead: '{{toUpper (getv "/a")}} (a nested call instead of a pipe)' },
];

/**
 * Throws a ConfigError at the first Go template construct in `source` (file:line:column, the construct, how it
 * is written in Handlebars, and where the README explains the migration). Block parameters (`as |x|`) and
 * Handlebars' `{{else if …}}` are not Go.
 */
export function rejectGoSyntax(file: string, source: string): void {
  // Handlebars' lexer uses NUL as an internal marker: a template holding one cannot be read at all.
  const nul = source.indexOf('\0');
  if (nul !== -1) throw new ConfigError(`${file}${position(source, nul)}: the template holds a NUL byte (U+0000), which Handlebars cannot read; remove it (a binary file given as src?)`);
  if (!source.includes('{{')) return;
  const text = blankComments(source);
  for (let at = text.indexOf('{{'); at !== -1; at = text.indexOf('{{', at + 2)) {
    if (at > 0 && text[at - 1] === '\\') continue;
    // Strings blanked, so that a `|` or `.x` inside one is not taken for Go.
    const rest = text.slice(at, at + 200).replace(/"[^"\n]*"/g, (q) => `"${' '.repeat(q.length - 2)}"`);
    if (/^\{\{[^}]*\bas\s*\|/.test(rest)) continue;
    const found = goConstructs.find((c) => c.pattern.test(rest));
    if (!found) continue;
    const raw = source.slice(at, at + 200);
    const snippet = raw.slice(0, Math.max(raw.indexOf('}}') + 2, 2)).split('\n')[0];
    throw new ConfigError(
      `${file}${position(source, at)}: \`${snippet}\` is Go template syntax (confd's); keyplate templates are Handlebars: write ${found.instead}; ${migration}`,
    );
  }
}

/** Deepest nesting of blocks, or of sub-expressions in one tag, a template may have. */
export const maxNesting = 100;

/**
 * Throws a ConfigError (file:line:column) where `source` nests blocks or sub-expressions past maxNesting: the
 * Handlebars parser and compiler recurse per level, and thousands of levels take seconds and then overflow the
 * stack. No real template comes near the limit.
 */
export function rejectDeepNesting(file: string, source: string): void {
  let depth = 0;
  for (const tag of blockTags(source)) {
    depth = tag.kind === '/' ? Math.max(0, depth - 1) : depth + 1;
    if (depth > maxNesting) throw new ConfigError(`${file}${position(source, tag.at)}: blocks nest more than ${maxNesting} deep here; flatten the template`);
  }
  const text = blankComments(source);
  for (const m of text.matchAll(/(?<!\\)\{\{[^}]*\}\}/g)) {
    if (m[0].length <= maxNesting) continue; // too short to hold maxNesting parentheses
    let parens = 0;
    const tag = m[0].replace(/"[^"]*"/g, '""');
    for (let i = 0; i < tag.length; i++) {
      if (tag[i] === '(' && ++parens > maxNesting) {
        throw new ConfigError(`${file}${position(source, m.index!)}: calls nest more than ${maxNesting} deep in this tag; split the expression`);
      }
      if (tag[i] === ')') parens--;
    }
  }
}

interface JisonHash {
  line: number;
  token?: string | null;
  text?: string;
  loc?: { last_column: number; first_column: number };
  expected?: string[];
}

/** A ConfigError for a Handlebars parse error in `source`, saying what to change (see the file comment). */
export function explainSyntaxError(file: string, source: string, error: unknown): ConfigError {
  const e = error as Error & { hash?: JisonHash; lineNumber?: number; column?: number };
  let where = '';
  if (e.hash) where = `:${e.hash.line + 1}:${(e.hash.loc?.last_column ?? 0) + 1}`;
  else if (typeof e.lineNumber === 'number') where = `:${e.lineNumber}:${(e.column ?? 0) + 1}`;
  const lines = e.message.split('\n');
  // jison's message: "Parse error on line N:\n<excerpt>\n---^\nExpecting …"; the excerpt shows where.
  const excerpt = /^(Parse|Lexical) error/.test(lines[0]) ? lines.slice(1, 3).join('\n') : '';
  const what = explain(source, e);
  return new ConfigError(`${file}${what.where ?? where}: template syntax error: ${what.message}${excerpt ? `\n${excerpt}` : ''}`, { cause: error });
}

const tokens: Record<string, string> = {
  CLOSE: '`}}`',
  CLOSE_UNESCAPED: '`}}}`',
  OPEN: '`{{`',
  OPEN_BLOCK: '`{{#`',
  OPEN_ENDBLOCK: '`{{/`',
  OPEN_INVERSE: '`{{^`',
  INVERSE: '`{{else}}`',
  OPEN_SEXPR: '`(`',
  CLOSE_SEXPR: '`)`',
  SEP: '`.` or `/` (a path separator)',
  EQUALS: '`=`',
  ID: 'a name',
  STRING: 'a string',
  NUMBER: 'a number',
  DATA: 'an @ variable',
  EOF: 'the end of the file',
  OPEN_BLOCK_PARAMS: '`as |`',
  CLOSE_BLOCK_PARAMS: '`|`',
  CONTENT: 'text',
};

function explain(source: string, e: Error & { hash?: JisonHash; lineNumber?: number }): { message: string; where?: string } {
  const hash = e.hash;
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(e.message);
  if (mismatch) {
    const [, opened, closed] = mismatch;
    const close = findClose(source, closed, e.lineNumber ?? 1);
    return {
      where: close,
      message: `\`{{/${closed}}}\` closes \`{{#${opened}}}\`, opened at line ${e.lineNumber ?? '?'}; close \`{{#${opened}}}\` with \`{{/${opened}}}\` first`,
    };
  }
  if (!hash) return { message: e.message };
  const got = hash.token ?? '';
  const expected = hash.expected ?? [];
  if (got === 'CLOSE_UNESCAPED') return { message: '`}}}` closes a triple-stash (`{{{…}}}`), but this tag opened with `{{`; add a space: `}} }`' };
  if (got === 'CLOSE' && expected.includes("'CLOSE_UNESCAPED'")) {
    return { message: '`{{{` opens a triple-stash and needs `}}}`; keyplate never escapes, so write `{{…}}`, or add a space after `{{` if the first `{` is text' };
  }
  if (got === 'EOF' && expected.includes("'OPEN_ENDBLOCK'")) {
    const open = unclosedBlock(source);
    if (open) return { where: `:${open.line}:${open.column}`, message: `\`{{#${open.name}}}\` opened at line ${open.line} is never closed; add \`{{/${open.name}}}\`` };
  }
  if (got === 'EOF') {
    const text = blankComments(source);
    const at = text.lastIndexOf('{{');
    return { where: at !== -1 && !text.includes('}}', at) ? position(source, at) : undefined, message: 'a `{{` is never closed: add `}}`' };
  }
  if (got === 'OPEN_ENDBLOCK') {
    const stray = strayClose(source);
    const tag = stray ? `{{/${stray.name}}}` : '{{/…}}';
    return { where: stray && `:${stray.line}:${stray.column}`, message: `\`${tag}\` closes a block that is not open (never opened, or already closed): remove it, or add the \`${tag.replace('/', '#')}\` it closes` };
  }
  if (got === 'INVERSE') return { message: '`{{else}}` is only allowed once inside an {{#if}}, {{#unless}}, {{#each}} or {{#with}} block' };
  if (got === 'INVALID' && hash.text === '"') return { message: 'a string is never closed: add the closing `"` before `}}`' };
  if (got === 'INVALID' && hash.text === '}') return { message: 'a single `}`: close the tag with `}}`' };
  if (!got) return { message: 'text Handlebars cannot read here (an unclosed `{{!--` comment, or a stray character inside `{{…}}`)' };
  return { message: `unexpected ${tokens[got] ?? `\`${hash.text ?? got}\``} here; check the tag for a missing \`}}\`, \`)\` or quote` };
}

interface OpenBlock {
  name: string;
  line: number;
  column: number;
}

/** Block tags in `source` (`{{#x}}`, `{{^x}}`, `{{/x}}`), comments blanked out, `\{{` skipped. */
function blockTags(source: string): Array<{ kind: string; name: string; at: number }> {
  const text = blankComments(source);
  const tags: Array<{ kind: string; name: string; at: number }> = [];
  for (const m of text.matchAll(/(?<!\\)\{\{~?\s*([#^/])\s*[>*]?\s*([^\s}~()]+)/g)) tags.push({ kind: m[1], name: m[2], at: m.index! });
  return tags;
}

/** The innermost block still open at the end of `source`. */
function unclosedBlock(source: string): OpenBlock | undefined {
  const stack: Array<{ name: string; at: number }> = [];
  for (const tag of blockTags(source)) {
    if (tag.kind === '/') {
      const i = stack.map((s) => s.name).lastIndexOf(tag.name);
      if (i !== -1) stack.length = i;
    } else {
      stack.push(tag);
    }
  }
  const open = stack.at(-1);
  if (!open) return undefined;
  const [line, column] = lineColumn(source, open.at);
  return { name: open.name, line, column };
}

/** The first `{{/name}}` with no open block of that name before it. */
function strayClose(source: string): OpenBlock | undefined {
  const open: string[] = [];
  for (const tag of blockTags(source)) {
    if (tag.kind !== '/') {
      open.push(tag.name);
      continue;
    }
    const i = open.lastIndexOf(tag.name);
    if (i !== -1) {
      open.length = i;
      continue;
    }
    const [line, column] = lineColumn(source, tag.at);
    return { name: tag.name, line, column };
  }
  return undefined;
}

/** `:line:column` of the first `{{/name}}` at or after `fromLine`, or undefined. */
function findClose(source: string, name: string, fromLine: number): string | undefined {
  for (const tag of blockTags(source)) {
    if (tag.kind !== '/' || tag.name !== name) continue;
    const [line, column] = lineColumn(source, tag.at);
    if (line >= fromLine) return `:${line}:${column}`;
  }
  return undefined;
}

/** Comments replaced by spaces (line breaks kept), so that positions stay true and commented-out tags are not read. */
function blankComments(source: string): string {
  return source.replace(/\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}/g, (c) => c.replace(/[^\n]/g, ' '));
}

function lineColumn(source: string, at: number): [number, number] {
  const before = source.slice(0, at);
  const line = before.split('\n').length;
  return [line, at - before.lastIndexOf('\n')];
}

function position(source: string, at: number): string {
  const [line, column] = lineColumn(source, at);
  return `:${line}:${column}`;
}
