// The lexer of Go's text/template (Go 1.19 text/template/parse/lex.go): text, {{ }} actions with trim markers
// ("{{- " and " -}}"), comments, and the tokens inside actions. Positions are string indexes; lines count from 1.
import { sprintf } from './printf.js';
import {
  EOF, ItemType, KEYWORDS, LEFT_COMMENT, LEFT_DELIM, RIGHT_COMMENT, RIGHT_DELIM, SPACE_CHARS,
  countNewlines, hasLeftTrimMarker, hasRightTrimMarker, isAlphaNumeric, isSpace, type Item,
} from './token.js';

export { ItemType, itemString, type Item } from './token.js';

type State = ((l: Lexer) => State) | null;

/** The scanner: call nextItem() until an EOF or error item. */
export class Lexer {
  pos = 0;
  start = 0;
  width = 0;
  parenDepth = 0;
  line = 1;
  startLine = 1;
  private state: State = lexText;
  private readonly queue: Item[] = [];

  constructor(readonly input: string) {}

  nextItem(): Item {
    while (this.queue.length === 0) {
      // After the last item (EOF or an error) Go's closed channel yields zero items: itemError with no text.
      if (this.state === null) return { typ: ItemType.error, pos: 0, val: '', line: 0 };
      this.state = this.state(this);
    }
    return this.queue.shift()!;
  }

  next(): number {
    if (this.pos >= this.input.length) {
      this.width = 0;
      return EOF;
    }
    const r = this.input.codePointAt(this.pos)!;
    this.width = r > 0xffff ? 2 : 1;
    this.pos += this.width;
    if (r === 10) this.line++;
    return r;
  }

  peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  backup(): void {
    this.pos -= this.width;
    if (this.width === 1 && this.input.charCodeAt(this.pos) === 10) this.line--;
  }

  emit(typ: ItemType): void {
    this.queue.push({ typ, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.startLine });
    this.start = this.pos;
    this.startLine = this.line;
  }

  ignore(): void {
    this.line += countNewlines(this.input, this.start, this.pos);
    this.start = this.pos;
    this.startLine = this.line;
  }

  accept(valid: string): boolean {
    const r = this.next();
    if (r >= 0 && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  acceptRun(valid: string): void {
    for (let r = this.next(); r >= 0 && valid.includes(String.fromCodePoint(r)); r = this.next());
    this.backup();
  }

  errorf(format: string, ...args: unknown[]): State {
    const text = sprintf(format, args.map((a) => (typeof a === 'number' ? BigInt(a) : (a as string))));
    this.queue.push({ typ: ItemType.error, pos: this.start, val: text, line: this.startLine });
    return null;
  }

  /** atRightDelim: at "}}", possibly preceded by a trim marker " -". */
  atRightDelim(): { delim: boolean; trimSpaces: boolean } {
    if (hasRightTrimMarker(this.input, this.pos) && this.input.startsWith(RIGHT_DELIM, this.pos + 2)) return { delim: true, trimSpaces: true };
    if (this.input.startsWith(RIGHT_DELIM, this.pos)) return { delim: true, trimSpaces: false };
    return { delim: false, trimSpaces: false };
  }

  /** atTerminator: what may follow an identifier, field or variable. */
  atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    // eof . , | : ) (
    if (r === EOF || r === 46 || r === 44 || r === 124 || r === 58 || r === 41 || r === 40) return true;
    return r === RIGHT_DELIM.charCodeAt(0);
  }

  scanNumber(): boolean {
    this.accept('+-');
    let digits = '0123456789_';
    if (this.accept('0')) {
      // Note: a leading 0 does not mean octal in floats.
      if (this.accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (this.accept('oO')) digits = '01234567_';
      else if (this.accept('bB')) digits = '01_';
    }
    this.acceptRun(digits);
    if (this.accept('.')) this.acceptRun(digits);
    if (digits.length === 11 && this.accept('eE')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    if (digits.length === 23 && this.accept('pP')) {
      this.accept('+-');
      this.acceptRun('0123456789_');
    }
    this.accept('i'); // imaginary
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }
}

function lexText(l: Lexer): State {
  l.width = 0;
  const x = l.input.indexOf(LEFT_DELIM, l.pos);
  if (x >= 0) {
    l.pos = x;
    let trimLength = 0;
    if (hasLeftTrimMarker(l.input, l.pos + LEFT_DELIM.length)) {
      const text = l.input.slice(l.start, l.pos);
      trimLength = text.length - text.replace(/[ \t\r\n]+$/, '').length;
    }
    l.pos -= trimLength;
    if (l.pos > l.start) {
      l.line += countNewlines(l.input, l.start, l.pos);
      l.emit(ItemType.text);
    }
    l.pos += trimLength;
    l.ignore();
    return lexLeftDelim;
  }
  l.pos = l.input.length;
  if (l.pos > l.start) {
    l.line += countNewlines(l.input, l.start, l.pos);
    l.emit(ItemType.text);
  }
  l.emit(ItemType.eof);
  return null;
}

function leftTrimLength(s: string, at: number): number {
  let i = at;
  while (i < s.length && SPACE_CHARS.includes(s[i])) i++;
  return i - at;
}

function lexLeftDelim(l: Lexer): State {
  l.pos += LEFT_DELIM.length;
  const trimSpace = hasLeftTrimMarker(l.input, l.pos);
  const afterMarker = trimSpace ? 2 : 0;
  if (l.input.startsWith(LEFT_COMMENT, l.pos + afterMarker)) {
    l.pos += afterMarker;
    l.ignore();
    return lexComment;
  }
  l.emit(ItemType.leftDelim);
  l.pos += afterMarker;
  l.ignore();
  l.parenDepth = 0;
  return lexInsideAction;
}

function lexComment(l: Lexer): State {
  l.pos += LEFT_COMMENT.length;
  const x = l.input.indexOf(RIGHT_COMMENT, l.pos);
  if (x < 0) return l.errorf('unclosed comment');
  l.pos = x + RIGHT_COMMENT.length;
  const { delim, trimSpaces } = l.atRightDelim();
  if (!delim) return l.errorf('comment ends before closing delimiter');
  if (trimSpaces) l.pos += 2;
  l.pos += RIGHT_DELIM.length;
  if (trimSpaces) l.pos += leftTrimLength(l.input, l.pos);
  l.ignore();
  return lexText;
}

function lexRightDelim(l: Lexer): State {
  const trimSpace = hasRightTrimMarker(l.input, l.pos);
  if (trimSpace) {
    l.pos += 2;
    l.ignore();
  }
  l.pos += RIGHT_DELIM.length;
  l.emit(ItemType.rightDelim);
  if (trimSpace) {
    l.pos += leftTrimLength(l.input, l.pos);
    l.ignore();
  }
  return lexText;
}

function lexInsideAction(l: Lexer): State {
  const { delim } = l.atRightDelim();
  if (delim) {
    if (l.parenDepth === 0) return lexRightDelim;
    return l.errorf('unclosed left paren');
  }
  const r = l.next();
  if (r === EOF) return l.errorf('unclosed action');
  if (isSpace(r)) {
    l.backup(); // put the space back in case we have " -}}"
    return lexSpace;
  }
  switch (r) {
    case 61: // =
      l.emit(ItemType.assign);
      return lexInsideAction;
    case 58: // :
      if (l.next() !== 61) return l.errorf('expected :=');
      l.emit(ItemType.declare);
      return lexInsideAction;
    case 124: // |
      l.emit(ItemType.pipe);
      return lexInsideAction;
    case 34: // "
      return lexQuote;
    case 96: // `
      return lexRawQuote;
    case 36: // $
      return lexVariable;
    case 39: // '
      return lexChar;
    case 40: // (
      l.emit(ItemType.leftParen);
      l.parenDepth++;
      return lexInsideAction;
    case 41: // )
      l.emit(ItemType.rightParen);
      l.parenDepth--;
      if (l.parenDepth < 0) return l.errorf('unexpected right paren %#U', r);
      return lexInsideAction;
  }
  if (r === 46) {
    // special look-ahead for ".field" so we don't break l.backup().
    if (l.pos < l.input.length) {
      const c = l.input.charCodeAt(l.pos);
      if (c < 48 || c > 57) return lexField;
    }
  }
  if (r === 46 || r === 43 || r === 45 || (r >= 48 && r <= 57)) {
    l.backup();
    return lexNumber;
  }
  if (isAlphaNumeric(r)) {
    l.backup();
    return lexIdentifier;
  }
  if (r < 0x80 && r >= 0x20 && r < 0x7f) {
    l.emit(ItemType.char);
    return lexInsideAction;
  }
  return l.errorf('unrecognized character in action: %#U', r);
}

function lexSpace(l: Lexer): State {
  let numSpaces = 0;
  while (isSpace(l.peek())) {
    l.next();
    numSpaces++;
  }
  // Be careful about a trim-marked closing delimiter, which has a minus after a space.
  if (hasRightTrimMarker(l.input, l.pos - 1) && l.input.startsWith(RIGHT_DELIM, l.pos - 1 + 2)) {
    l.backup(); // before the space
    if (numSpaces === 1) return lexRightDelim; // on the delim, so go right to that
  }
  l.emit(ItemType.space);
  return lexInsideAction;
}

function lexIdentifier(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (isAlphaNumeric(r)) continue;
    l.backup();
    const word = l.input.slice(l.start, l.pos);
    if (!l.atTerminator()) return l.errorf('bad character %#U', r);
    const key = KEYWORDS[word];
    if (key !== undefined && key > ItemType.keyword) l.emit(key);
    else if (word[0] === '.') l.emit(ItemType.field);
    else if (word === 'true' || word === 'false') l.emit(ItemType.bool);
    else l.emit(ItemType.identifier);
    return lexInsideAction;
  }
}

function lexField(l: Lexer): State {
  return lexFieldOrVariable(l, ItemType.field);
}

function lexVariable(l: Lexer): State {
  if (l.atTerminator()) {
    // Nothing interesting follows -> "$".
    l.emit(ItemType.variable);
    return lexInsideAction;
  }
  return lexFieldOrVariable(l, ItemType.variable);
}

function lexFieldOrVariable(l: Lexer, typ: ItemType): State {
  if (l.atTerminator()) {
    // Nothing interesting follows -> "." or "$".
    l.emit(typ === ItemType.variable ? ItemType.variable : ItemType.dot);
    return lexInsideAction;
  }
  let r: number;
  for (;;) {
    r = l.next();
    if (!isAlphaNumeric(r)) {
      l.backup();
      break;
    }
  }
  if (!l.atTerminator()) return l.errorf('bad character %#U', r);
  l.emit(typ);
  return lexInsideAction;
}

/**
 * A quoted item up to the closing `quote` (a code point), backslash escapes skipped: Go's lexChar and lexQuote,
 * which differ only in the quote, the item and the error's name for it.
 */
function lexQuoted(l: Lexer, quote: number, item: ItemType, what: string): State {
  for (;;) {
    let r = l.next();
    if (r === 92) {
      r = l.next();
      if (r !== EOF && r !== 10) continue;
      return l.errorf(`unterminated ${what}`);
    }
    if (r === EOF || r === 10) return l.errorf(`unterminated ${what}`);
    if (r === quote) break;
  }
  l.emit(item);
  return lexInsideAction;
}

function lexChar(l: Lexer): State {
  return lexQuoted(l, 39, ItemType.charConstant, 'character constant');
}

function lexNumber(l: Lexer): State {
  if (!l.scanNumber()) return l.errorf('bad number syntax: %q', l.input.slice(l.start, l.pos));
  const sign = l.peek();
  if (sign === 43 || sign === 45) {
    // Complex: 1+2i. No spaces, must end in 'i'.
    if (!l.scanNumber() || l.input[l.pos - 1] !== 'i') return l.errorf('bad number syntax: %q', l.input.slice(l.start, l.pos));
    l.emit(ItemType.complex);
  } else l.emit(ItemType.number);
  return lexInsideAction;
}

function lexQuote(l: Lexer): State {
  return lexQuoted(l, 34, ItemType.string, 'quoted string');
}

function lexRawQuote(l: Lexer): State {
  for (;;) {
    const r = l.next();
    if (r === EOF) return l.errorf('unterminated raw quoted string');
    if (r === 96) break;
  }
  l.emit(ItemType.rawString);
  return lexInsideAction;
}
