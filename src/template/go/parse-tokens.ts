// The parser's token buffer and error reporting (Go 1.19 text/template/parse/parse.go): three tokens of
// look-ahead, and errors that name the line of the last token read, as Go's do.
import { ItemType, itemString, type Item, type Lexer } from './lex.js';
import { QuoteSyntaxError, unquote } from './strconv.js';

/** A template that does not parse; the message is Go's, `pos` the offset of the token it stopped at. */
export class GoParseError extends Error {
  /** At an unexpected EOF, the innermost action still open ({{range}}, {{if}}…, and the line it opened on). */
  unclosed?: { readonly keyword: string; readonly line: number };

  constructor(
    message: string,
    readonly pos?: number,
  ) {
    super(message);
    this.name = 'GoParseError';
  }
}

/** Tokens from the lexer with Go's look-ahead, and Go's parse errors. */
export class TokenStream {
  private readonly token: Item[] = [];
  private peekCount = 0;
  /** Line of the {{ that started the current action (0 outside one). */
  protected actionLine = 0;

  constructor(
    protected readonly parseName: string,
    protected readonly lex: Lexer,
  ) {}

  next(): Item {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount];
  }
  backup(): void {
    this.peekCount++;
  }
  backup2(t1: Item): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }
  backup3(t2: Item, t1: Item): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }
  peek(): Item {
    if (this.peekCount > 0) return this.token[this.peekCount - 1];
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }
  nextNonSpace(): Item {
    let token: Item;
    do token = this.next();
    while (token.typ === ItemType.space);
    return token;
  }
  peekNonSpace(): Item {
    const token = this.nextNonSpace();
    this.backup();
    return token;
  }

  // ---- errors
  errorf(message: string): never {
    throw new GoParseError(`template: ${this.parseName}:${this.token[0]?.line ?? 1}: ${message}`, this.token[0]?.pos);
  }
  expect(expected: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== expected) this.unexpected(token, context);
    return token;
  }
  expectOneOf(a: ItemType, b: ItemType, context: string): Item {
    const token = this.nextNonSpace();
    if (token.typ !== a && token.typ !== b) this.unexpected(token, context);
    return token;
  }
  unexpected(token: Item, context: string): never {
    if (token.typ === ItemType.error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== token.line) {
        extra = ` in action started at ${this.parseName}:${this.actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length); // avoid "action in action"
      }
      this.errorf(`${itemString(token)}${extra}`);
    }
    this.errorf(`unexpected ${itemString(token)} in ${context}`);
  }
  unquote(text: string): string {
    try {
      return unquote(text);
    } catch (error) {
      if (error instanceof QuoteSyntaxError) this.errorf(error.message);
      throw error;
    }
  }

}
