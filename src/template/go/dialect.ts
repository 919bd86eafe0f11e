// Which template language a text is written in, from the text alone: Go's text/template (confd), Handlebars
// (keyplate), or the shapes valid in both that render the same bytes in both.
//
// Each {{…}} tag is classified. Handlebars-only: {{# {{/name {{^ {{! {{> {{& {{{ {{~ ~}} \{{ @data, this, ../,
// hash arguments (key=value), 'single-quoted strings', a bare name that no function has (a context path), and
// {{else}} inside a {{#…}} block. Go-only: trim markers "{{- " and " -}}", {{/* comments */}}, dot and fields
// ({{.}} {{.Key}}), $variables, the keywords if/range/with/end/define/template/block/break/continue without '#',
// pipes '|', `raw strings`, and {{else}} inside a Go block. A tag with neither is "common" only when it is a call
// whose result prints the same in both engines (see SAFE below: getv/getenv/exists with literal rooted keys, string
// and integer functions, printf with %s/%d/%v); any other common-looking call (ls "/", datetime, json, a key
// without a leading slash …) is valid in both but renders differently, so the text is "undecided".

/** The template languages a text can be written in ('both': valid in each, with the same output). */
export type Dialect = 'go' | 'handlebars' | 'both';

/** Where the decision came from. */
export interface DialectEvidence {
  /** The construct that decided, as written (trimmed to 40 characters). */
  readonly construct: string;
  readonly line: number;
  /** 1-based column of the construct on its line. */
  readonly column: number;
}

/** detectDialect's answer, with the evidence for it. */
export interface DialectGuess {
  /**
   * go / handlebars: only that language has the template's syntax. both: every tag is valid in both and renders
   * the same (no tags at all counts). conflict: syntax of both (a mistake, or a mix). undecided: valid in both but
   * the two would render it differently; the caller's rule (setting, confdir origin) must choose.
   */
  readonly dialect: Dialect | 'conflict' | 'undecided';
  /** The first Go-only construct, if any. */
  readonly go?: DialectEvidence;
  /** The first Handlebars-only construct, if any. */
  readonly handlebars?: DialectEvidence;
  /** The first tag valid in both that renders differently, if any. */
  readonly differs?: DialectEvidence;
}

type Kind = 'go' | 'handlebars' | 'common' | 'differs';

const GO_KEYWORDS = new Set(['if', 'range', 'with', 'end', 'define', 'template', 'block', 'break', 'continue']);
const GO_BLOCK_OPENERS = new Set(['if', 'range', 'with', 'define', 'block']);

/** Names both keyplate's helpers and confd's Go functions have (a call to one is valid in both). */
const SHARED_FUNCTIONS = new Set([
  'get', 'getv', 'exists', 'gets', 'getvs', 'ls', 'lsdir', 'base', 'dir', 'split', 'join', 'toUpper', 'toLower',
  'contains', 'replace', 'trimSuffix', 'json', 'jsonArray', 'map', 'getenv', 'datetime', 'fileExists', 'base64Encode',
  'base64Decode', 'parseBool', 'lookupIP', 'lookupIPV4', 'lookupIPV6', 'lookupSRV', 'atoi', 'add', 'sub', 'mul', 'div',
  'mod', 'seq', 'reverse', 'sortByLength', 'sortKVByLength', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or', 'not',
  'len', 'printf',
]);
/** Go's other builtins: calling one is Go (keyplate's Handlebars has no such helper). */
const GO_ONLY_FUNCTIONS = new Set(['html', 'js', 'urlquery', 'print', 'println', 'index', 'slice', 'call']);

type Token = { t: 'str' | 'int' | 'name'; v: string } | { t: '(' | ')' };
type ValueType = 'S' | 'I' | 'B' | 'L';

/** Tokens of a tag body in the common subset: names, "strings" without escapes, integers, parentheses. */
function tokenize(body: string): Token[] | undefined {
  const tokens: Token[] = [];
  const re = /\s*(?:("[^"\\]*")|(-?\d+)(?![\w.])|([A-Za-z_][A-Za-z0-9_]*)(?![\w.])|([()]))/y;
  let at = 0;
  while (at < body.length) {
    if (/^\s*$/.test(body.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(body);
    if (!m) return undefined;
    if (m[1] !== undefined) tokens.push({ t: 'str', v: m[1].slice(1, -1) });
    else if (m[2] !== undefined) tokens.push({ t: 'int', v: m[2] });
    else if (m[3] !== undefined) tokens.push({ t: 'name', v: m[3] });
    else tokens.push({ t: m[4] as '(' | ')' });
    at = re.lastIndex;
  }
  return tokens;
}

/** A literal key as both engines read it: rooted, clean, not the root (ls "/" differs: memkv's quirk). */
const rootedKey = (s: string): boolean => /^(\/[^/]+)+$/.test(s) && !/\/\.\.?(\/|$)/.test(s);

/**
 * SAFE: for each function, the types of its arguments and of its result, when both engines agree on the output.
 * K is a literal rooted key, F a printf format with %s/%d/%v/%% only; L is a list, allowed only as join's input.
 */
const SAFE: Record<string, { args: string[]; optional?: number; result: ValueType }> = {
  getv: { args: ['K', 'S'], optional: 1, result: 'S' },
  getenv: { args: ['S', 'S'], optional: 1, result: 'S' },
  exists: { args: ['K'], result: 'B' },
  base: { args: ['S'], result: 'S' },
  dir: { args: ['S'], result: 'S' },
  toUpper: { args: ['S'], result: 'S' },
  toLower: { args: ['S'], result: 'S' },
  trimSuffix: { args: ['S', 'S'], result: 'S' },
  contains: { args: ['S', 'S'], result: 'B' },
  replace: { args: ['S', 'S', 'S', 'I'], result: 'S' },
  base64Encode: { args: ['S'], result: 'S' },
  join: { args: ['L', 'S'], result: 'S' },
  getvs: { args: ['K'], result: 'L' },
  split: { args: ['S', 'S'], result: 'L' },
  atoi: { args: ['S'], result: 'I' },
  len: { args: ['S'], result: 'I' },
  add: { args: ['I', 'I'], result: 'I' },
  sub: { args: ['I', 'I'], result: 'I' },
  mul: { args: ['I', 'I'], result: 'I' },
  not: { args: ['S'], result: 'B' },
};

/** Parse one expression of the common subset; its type, or undefined when outside it. */
function expression(tokens: Token[], at: { i: number }, top: boolean): ValueType | undefined {
  const tok = tokens[at.i];
  if (!tok) return undefined;
  if (tok.t === 'str') {
    at.i++;
    return top ? undefined : 'S';
  }
  if (tok.t === 'int') {
    at.i++;
    // Go's int64 holds it exactly; keyplate's Handlebars helpers take a JavaScript number, exact up to 2^53 only.
    if (Math.abs(Number(tok.v)) > Number.MAX_SAFE_INTEGER) return undefined;
    return top ? undefined : 'I';
  }
  if (tok.t === '(') {
    at.i++;
    const type = call(tokens, at);
    if (tokens[at.i]?.t !== ')') return undefined;
    at.i++;
    return type;
  }
  return top ? call(tokens, at) : undefined;
}

function argument(tokens: Token[], at: { i: number }, want: string): boolean {
  const tok = tokens[at.i];
  if (want === 'K') {
    at.i++;
    return tok?.t === 'str' && rootedKey(tok.v);
  }
  return expression(tokens, at, false) === want;
}

/** A call in the common subset (the function name is the current token). */
function call(tokens: Token[], at: { i: number }): ValueType | undefined {
  const name = tokens[at.i];
  if (name?.t !== 'name') return undefined;
  at.i++;
  if (name.v === 'printf') return printfCall(tokens, at);
  if (name.v === 'eq' || name.v === 'ne' || name.v === 'and' || name.v === 'or') return comparison(name.v, tokens, at);
  // Own properties only: `{{valueOf}}` must not find Object.prototype's.
  const spec = Object.hasOwn(SAFE, name.v) ? SAFE[name.v] : undefined;
  if (!spec) return undefined;
  const required = spec.args.length - (spec.optional ?? 0);
  let n = 0;
  for (; n < spec.args.length && at.i < tokens.length && tokens[at.i].t !== ')'; n++) if (!argument(tokens, at, spec.args[n])) return undefined;
  return n >= required ? spec.result : undefined;
}

/** printf with a literal format of %s, %d, %v and %% only, each verb given an argument of its kind. */
function printfCall(tokens: Token[], at: { i: number }): ValueType | undefined {
  const format = tokens[at.i++];
  if (format?.t !== 'str') return undefined;
  const verbs = format.v.replace(/%%/g, '').match(/%./g) ?? [];
  for (const verb of verbs) {
    if (!argument(tokens, at, verb === '%d' ? 'I' : verb === '%s' || verb === '%v' ? 'S' : 'X')) return undefined;
  }
  return at.i === tokens.length || tokens[at.i].t === ')' ? 'S' : undefined;
}

/** eq/ne on strings (or integers), and/or on strings: the same truth and the same operand in both. */
function comparison(name: string, tokens: Token[], at: { i: number }): ValueType | undefined {
  const types: ValueType[] = [];
  while (at.i < tokens.length && tokens[at.i].t !== ')') {
    const type = expression(tokens, at, false);
    if (type === undefined) return undefined;
    types.push(type);
  }
  if (types.length < 2 || types.some((t) => t !== types[0])) return undefined;
  if (name === 'and' || name === 'or') return types[0] === 'S' ? 'S' : undefined;
  if (name === 'ne' && types.length !== 2) return undefined;
  return types[0] === 'S' || types[0] === 'I' ? 'B' : undefined;
}

/** Deeper than this, a tag is not classified as the common subset. */
const maxCommonDepth = 100;

/** The deepest nesting of parentheses among `tokens`. */
function parenDepth(tokens: readonly Token[]): number {
  let depth = 0;
  let deepest = 0;
  for (const tok of tokens) {
    if (tok.t === '(') deepest = Math.max(deepest, ++depth);
    else if (tok.t === ')') depth--;
  }
  return deepest;
}

/** Classify a tag that has no marker of either language. */
function classifyPlain(body: string): Kind {
  const tokens = tokenize(body);
  // The subset parser recurses per parenthesis: a tag nested deeper than any real template is left to the engines,
  // whose own depth limits report it (a stack overflow here would be a crash at load).
  if (tokens && parenDepth(tokens) <= maxCommonDepth) {
    const at = { i: 0 };
    const type = expression(tokens, at, true);
    if (type !== undefined && type !== 'L' && at.i === tokens.length) return 'common';
  }
  const head = /^\s*\(*\s*([A-Za-z_][\w]*)/.exec(body)?.[1];
  if (head === undefined) return 'differs';
  if (GO_ONLY_FUNCTIONS.has(head)) return 'go';
  if (SHARED_FUNCTIONS.has(head) || head === 'true' || head === 'false' || head === 'nil') return 'differs';
  // A bare name that is no function: a Handlebars path (Go says: function not defined).
  return 'handlebars';
}

/** Classify one tag from what follows "{{" (`inner`), given the innermost open block. */
function classifyTag(inner: string, open: Array<'go' | 'handlebars'>): Kind {
  if (inner.startsWith('{') || inner.startsWith('~') || /~\s*$/.test(inner)) return 'handlebars';
  if (/^-\s/.test(inner) || /\s-$/.test(inner)) return 'go';
  const body = inner.trim();
  if (body.startsWith('/*')) return 'go';
  if (/^[#^>!&/]/.test(body)) return 'handlebars';
  const word = /^[A-Za-z_]\w*/.exec(body)?.[0];
  if (word === 'else') return open[open.length - 1] ?? 'differs';
  if (word !== undefined && GO_KEYWORDS.has(word)) return 'go';
  if (/^\.|^\$/.test(body) || /`/.test(body)) return 'go';
  const outsideStrings = body.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  if (/\|/.test(outsideStrings) || /:=|[\s)]\.[A-Za-z]|\$/.test(outsideStrings)) return 'go';
  if (/@|\bthis\b|\.\.\/|'[^'\\]{2,}'|[A-Za-z_]\w*=/.test(outsideStrings)) return 'handlebars';
  if (/\(\s*\)/.test(outsideStrings)) return 'differs';
  return classifyPlain(body);
}

/** The end of the tag starting at `start` ("{{"), skipping quoted strings; -1 when unclosed. */
function tagEnd(text: string, start: number): number {
  // Comments may hold anything, "}}" and quotes included: {{/* … */}} (Go), {{!-- … --}} (Handlebars).
  const comment = /^(-\s+)?\/\*|^!--/.exec(text.slice(start + 2, start + 8));
  if (comment) {
    const close = text.indexOf(comment[0].endsWith('--') ? '--}}' : '*/', start + 2 + comment[0].length);
    if (close < 0) return -1;
    const delim = text.indexOf('}}', close);
    return delim < 0 ? -1 : delim + 2;
  }
  let i = start + 2;
  while (i < text.length) {
    const c = text[i];
    if (c === '`') {
      const close = text.indexOf('`', i + 1);
      if (close < 0) return -1;
      i = close + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    if (text.startsWith('}}', i)) return text[i + 2] === '}' && text[start + 2] === '{' ? i + 3 : i + 2;
    i++;
  }
  return -1;
}

function lineAt(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < pos; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * Which language a template is written in, from its text alone (a pure function). See DialectGuess; `both` is
 * claimed only for shapes that render the same bytes through the Go engine and keyplate's Handlebars helpers.
 */
export function detectDialect(text: string): DialectGuess {
  const found: Partial<Record<Kind, DialectEvidence>> = {};
  const open: Array<'go' | 'handlebars'> = [];
  const note = (kind: Kind, construct: string, pos: number): void => {
    found[kind] ??= { construct: construct.length > 40 ? `${construct.slice(0, 37)}...` : construct, line: lineAt(text, pos), column: pos - text.lastIndexOf('\n', pos - 1) };
  };
  for (let start = text.indexOf('{{'); start >= 0; start = text.indexOf('{{', start + 2)) {
    // A backslash before a tag: Handlebars' escaped mustache (the tag is text), but plain text before an action in Go
    // (`C:\\{{getv "/dir"}}`, a regex, an escaped string): valid in both, rendered differently. What the tag holds is
    // evidence for neither: text to one language, an action to the other.
    const escaped = start > 0 && text[start - 1] === '\\';
    if (escaped) note('differs', '\\{{', start);
    const end = tagEnd(text, start);
    if (escaped) {
      if (end < 0) break;
      start = end - 2;
      continue;
    }
    const tag = end < 0 ? text.slice(start) : text.slice(start, end);
    const inner = end < 0 ? tag.slice(2) : tag.slice(2, -2);
    const kind = classifyTag(inner, open);
    if (kind !== 'common') note(kind, tag, start);
    // `{{…}}}` (a JSON object closing right after a tag): Go reads the `}` as text, Handlebars cannot parse it.
    else if (end >= 0 && text[end] === '}' && text[start + 2] !== '{') note('go', `${tag}}`, start);
    const body = inner.trim();
    const word = /^[#/]?\s*([A-Za-z_]\w*)/.exec(body.replace(/^-\s+/, ''))?.[1];
    if (body.startsWith('#')) open.push('handlebars');
    else if (body.startsWith('/') && !body.startsWith('/*')) open.pop();
    else if (kind === 'go' && word && GO_BLOCK_OPENERS.has(word)) open.push('go');
    else if (kind === 'go' && word === 'end') open.pop();
    if (end < 0) break;
    start = end - 2;
  }
  const { go, handlebars, differs } = found;
  const dialect = go && handlebars ? 'conflict' : go ? 'go' : handlebars ? 'handlebars' : differs ? 'undecided' : 'both';
  return { dialect, go, handlebars, differs };
}
