// Go's path.Match, ported rune for rune, so confd templates' `gets` patterns select the same keys.
//
// `*` matches any run of non-`/` characters, `?` one non-`/` character, `[...]` a class with ranges
// and `^` negation, `\` escapes the next character. A malformed pattern is always an error, even
// when the name fails to match before the bad part is reached (as in Go 1.16+).

/** A `gets`/`getvs` pattern that is not valid path.Match syntax. */
export class BadPatternError extends Error {
  constructor(readonly pattern: string) {
    super(`syntax error in pattern \`${pattern}\``);
    this.name = 'BadPatternError';
  }
}

type Runes = readonly string[];

/** True when `name` matches the whole of `pattern`. Throws BadPatternError for a malformed pattern. */
export function pathMatch(pattern: string, name: string): boolean {
  const result = match(Array.from(pattern), Array.from(name));
  if (result === 'bad') throw new BadPatternError(pattern);
  return result;
}

/** Throws BadPatternError unless `pattern` is well-formed (checked even when no key would be tried). */
export function validatePattern(pattern: string): void {
  let rest: Runes = Array.from(pattern);
  while (rest.length > 0) {
    const { chunk, rest: next } = scanChunk(rest);
    rest = next;
    if (matchChunk(chunk, []) === 'bad') throw new BadPatternError(pattern);
  }
}

/**
 * The directory every match of `pattern` lies under: its literal start, cut at the last `/` before the first
 * glob character (`/list/*` → `/list`, `/a/b?/c` → `/a`, `/*` → `/`; a literal is its own directory). Every
 * matching key begins with that literal start, so a scan can begin there instead of at the root.
 */
export function patternDir(pattern: string): string {
  const meta = pattern.search(/[*?[\\]/);
  if (meta === -1) return pattern; // a literal matches only itself
  const slash = pattern.lastIndexOf('/', meta);
  return slash <= 0 ? '/' : pattern.slice(0, slash);
}

function match(pattern: Runes, name: Runes): boolean | 'bad' {
  outer: while (pattern.length > 0) {
    const { star, chunk, rest } = scanChunk(pattern);
    pattern = rest;
    // A trailing * matches the rest of the name unless it has a /.
    if (star && chunk.length === 0) return !name.includes('/');

    const here = matchChunk(chunk, name);
    // The last chunk must consume the whole name, otherwise a later position might still match.
    if (Array.isArray(here) && (here.length === 0 || pattern.length > 0)) {
      name = here;
      continue;
    }
    if (here === 'bad') return 'bad';
    if (star) {
      // Let the star swallow i+1 characters, never a /.
      for (let i = 0; i < name.length && name[i] !== '/'; i++) {
        const t = matchChunk(chunk, name.slice(i + 1));
        if (Array.isArray(t)) {
          if (pattern.length === 0 && t.length > 0) continue;
          name = t;
          continue outer;
        }
        if (t === 'bad') return 'bad';
      }
    }
    // No match: still report a malformed remainder, as Go does.
    while (pattern.length > 0) {
      const next = scanChunk(pattern);
      pattern = next.rest;
      if (matchChunk(next.chunk, []) === 'bad') return 'bad';
    }
    return false;
  }
  return name.length === 0;
}

function scanChunk(pattern: Runes): { star: boolean; chunk: Runes; rest: Runes } {
  let star = false;
  let start = 0;
  while (start < pattern.length && pattern[start] === '*') {
    start++;
    star = true;
  }
  let inRange = false;
  let i = start;
  scan: for (; i < pattern.length; i++) {
    switch (pattern[i]) {
      case '\\':
        // A trailing backslash is reported by matchChunk.
        if (i + 1 < pattern.length) i++;
        break;
      case '[':
        inRange = true;
        break;
      case ']':
        inRange = false;
        break;
      case '*':
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: pattern.slice(start, i), rest: pattern.slice(i) };
}

/**
 * Match `chunk` (no stars) against the start of `s`: the unmatched rest of `s`, false, or 'bad'.
 * After a failure it keeps parsing the chunk so syntax errors are found regardless of `s`.
 */
function matchChunk(chunk: Runes, s: Runes): Runes | false | 'bad' {
  let failed = false;
  let c = 0;
  let p = 0;
  while (c < chunk.length) {
    if (!failed && p >= s.length) failed = true;
    const ch = chunk[c];
    if (ch === '[') {
      const r = failed ? '' : s[p++]!;
      c++;
      let negated = false;
      if (c < chunk.length && chunk[c] === '^') {
        negated = true;
        c++;
      }
      let matched = false;
      let ranges = 0;
      for (;;) {
        if (c < chunk.length && chunk[c] === ']' && ranges > 0) {
          c++;
          break;
        }
        const lo = getEscaped(chunk, c);
        if (lo === 'bad') return 'bad';
        c = lo.next;
        let hi = lo.rune;
        if (chunk[c] === '-') {
          const h = getEscaped(chunk, c + 1);
          if (h === 'bad') return 'bad';
          c = h.next;
          hi = h.rune;
        }
        if (!failed && cmp(lo.rune, r) <= 0 && cmp(r, hi) <= 0) matched = true;
        ranges++;
      }
      if (matched === negated) failed = true;
    } else if (ch === '?') {
      if (!failed) {
        if (s[p] === '/') failed = true;
        p++;
      }
      c++;
    } else {
      if (ch === '\\') {
        c++;
        if (c >= chunk.length) return 'bad';
      }
      if (!failed) {
        if (chunk[c] !== s[p]) failed = true;
        p++;
      }
      c++;
    }
  }
  return failed ? false : s.slice(p);
}

/** One (possibly escaped) character of a class; `-` and `]` must be escaped, and something must follow. */
function getEscaped(chunk: Runes, at: number): { rune: string; next: number } | 'bad' {
  let c = at;
  if (c >= chunk.length || chunk[c] === '-' || chunk[c] === ']') return 'bad';
  if (chunk[c] === '\\') {
    c++;
    if (c >= chunk.length) return 'bad';
  }
  const rune = chunk[c]!;
  c++;
  if (c >= chunk.length) return 'bad';
  return { rune, next: c };
}

/** Compare single code points (Go compares runes, not UTF-16 units). */
function cmp(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}
