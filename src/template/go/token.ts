// The tokens of Go's text/template (Go 1.19 text/template/parse/lex.go item and itemType), and the character
// classes the lexer and parser share.
import { sprintf } from './printf.js';

/** itemType: the kinds of token; keywords come after `keyword`. */
export const enum ItemType {
  error,
  bool,
  char, // printable ASCII character; grab bag for comma etc.
  charConstant,
  complex,
  assign, // '='
  declare, // ':='
  eof,
  field, // .Field
  identifier,
  leftDelim,
  leftParen,
  number,
  pipe,
  rawString,
  rightDelim,
  rightParen,
  space,
  string,
  text,
  variable,
  // Keywords appear after all the rest.
  keyword,
  block,
  break,
  continue,
  dot,
  define,
  else,
  end,
  if,
  nil,
  range,
  template,
  with,
}

/** The words the lexer emits as keywords (break and continue, as no function has those names). */
export const KEYWORDS: Record<string, ItemType> = {
  '.': ItemType.dot,
  block: ItemType.block,
  break: ItemType.break,
  continue: ItemType.continue,
  define: ItemType.define,
  else: ItemType.else,
  end: ItemType.end,
  if: ItemType.if,
  range: ItemType.range,
  nil: ItemType.nil,
  template: ItemType.template,
  with: ItemType.with,
};

/** A token: its type, where it starts, its text, and its line. */
export interface Item {
  readonly typ: ItemType;
  /** Index in the input where the item starts. */
  readonly pos: number;
  readonly val: string;
  /** Line of the start of the item. */
  readonly line: number;
}

/** item.String(), as parse errors quote tokens. */
export function itemString(i: Item): string {
  if (i.typ === ItemType.eof) return 'EOF';
  if (i.typ === ItemType.error) return i.val;
  if (i.typ > ItemType.keyword) return `<${i.val}>`;
  if (Buffer.byteLength(i.val) > 10) return `${sprintf('%.10q', [i.val])}...`;
  return sprintf('%q', [i.val]);
}

/** The default delimiters and comment markers (confd never changes them). */
export const LEFT_DELIM = '{{';
export const RIGHT_DELIM = '}}';
export const LEFT_COMMENT = '/*';
export const RIGHT_COMMENT = '*/';
/** next()'s value at the end of the input. */
export const EOF = -1;
/** What trim markers remove: Go's own white space. */
export const SPACE_CHARS = ' \t\r\n';

/** isSpace: space, tab, CR, LF (newlines are allowed in actions since Go 1.16). */
export function isSpace(r: number): boolean {
  return r === 32 || r === 9 || r === 13 || r === 10;
}

const LETTER_OR_DIGIT = /^[\p{L}\p{Nd}]$/u;

/** Go's isAlphaNumeric: underscore, unicode.IsLetter or unicode.IsDigit. */
export function isAlphaNumeric(r: number): boolean {
  if (r === 95) return true;
  if (r < 0) return false;
  if (r < 0x80) return (r >= 48 && r <= 57) || (r >= 65 && r <= 90) || (r >= 97 && r <= 122);
  return LETTER_OR_DIGIT.test(String.fromCodePoint(r));
}

/** "- " (or - and any space) right after {{. */
export function hasLeftTrimMarker(s: string, at: number): boolean {
  return s.length - at >= 2 && s[at] === '-' && isSpace(s.charCodeAt(at + 1));
}

/** A space and "-" right before }}. */
export function hasRightTrimMarker(s: string, at: number): boolean {
  return s.length - at >= 2 && isSpace(s.charCodeAt(at)) && s[at + 1] === '-';
}

/** Newlines in s[from:to], for line numbers. */
export function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i >= 0 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
