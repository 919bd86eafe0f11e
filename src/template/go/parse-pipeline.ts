// The pipelines of Go's text/template (Go 1.19 text/template/parse/parse.go: pipeline, command, operand, term):
// declarations ("$x :=", range's "$i, $e :="), commands joined by '|', operands with .Field chains, parenthesised
// pipelines, and the variables in scope. parse.ts's Tree parses the actions around them.
import { ItemType, type Lexer } from './lex.js';
import { nodeString, type ArgNode, type CommandNode, type PipeNode, type VariableNode } from './nodes.js';
import { newNumber } from './number.js';
import { TokenStream } from './parse-tokens.js';
import { quote } from './strconv.js';

/** parse.maxStackDepth. */
const MAX_STACK_DEPTH = 10000;

/** Pipelines and what they need of the parse: the variables in scope and which identifiers are functions. */
export class PipelineParser extends TokenStream {
  /** Variables in scope, innermost last; an action's {{end}} truncates it to where the action began. */
  protected vars: string[] = ['$'];
  /** Nesting of parenthesised pipelines (Go 1.19 stops at maxStackDepth, 10000). */
  private stackDepth = 0;

  constructor(
    parseName: string,
    lex: Lexer,
    protected readonly hasFunction: (name: string) => boolean,
  ) {
    super(parseName, lex);
  }

  /** pipeline: declarations? command ('|' command)* up to `end` (}} or, in parentheses, ')'). */
  pipeline(context: string, end: ItemType): PipeNode {
    const token = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: token.pos, line: token.line, isAssign: false, decl: [], cmds: [] };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      switch (t.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case ItemType.bool:
        case ItemType.charConstant:
        case ItemType.complex:
        case ItemType.dot:
        case ItemType.field:
        case ItemType.identifier:
        case ItemType.number:
        case ItemType.nil:
        case ItemType.rawString:
        case ItemType.string:
        case ItemType.variable:
        case ItemType.leftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  /** The "$x :=", "$x =" or, in range, "$i, $e :=" that may start a pipeline. */
  declarations(pipe: PipeNode, context: string): void {
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== ItemType.variable) return;
      this.next();
      // Three tokens of look-ahead: in "$x foo" the token after "$x" decides it is an argument, not a declaration.
      const tokenAfterVariable = this.peek();
      const next = this.peekNonSpace();
      if (next.typ === ItemType.assign || next.typ === ItemType.declare) {
        pipe.isAssign = next.typ === ItemType.assign;
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
        return;
      }
      if (next.typ === ItemType.char && next.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.newVariable(v.pos, v.val));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const after = this.peekNonSpace().typ;
          if (after === ItemType.variable || after === ItemType.rightDelim || after === ItemType.rightParen) continue;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      }
      if (tokenAfterVariable.typ === ItemType.space) this.backup3(v, tokenAfterVariable);
      else this.backup2(v);
      return;
    }
  }

  checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    // Only the first command of a pipeline can start with a non-executable operand.
    pipe.cmds.slice(1).forEach((c, i) => {
      const t = c.args[0].type;
      if (t === 'bool' || t === 'dot' || t === 'nil' || t === 'number' || t === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  command(): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace(); // skip leading spaces
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === ItemType.space) continue;
      if (token.typ === ItemType.rightDelim || token.typ === ItemType.rightParen) this.backup();
      else if (token.typ !== ItemType.pipe) this.unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  /** operand: a term possibly followed by .Field accesses. */
  operand(): ArgNode | undefined {
    const node = this.term();
    if (!node || this.peek().typ !== ItemType.field) return node;
    const pos = this.peek().pos;
    const field: string[] = [];
    while (this.peek().typ === ItemType.field) field.push(this.next().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos, ident: [...node.ident, ...field] };
      case 'variable':
        return { type: 'variable', pos, ident: [...node.ident, ...field] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        this.errorf(`unexpected . after term ${quote(nodeString(node))}`);
    }
    return { type: 'chain', pos, node, field };
  }

  term(): ArgNode | undefined {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case ItemType.identifier:
        if (!this.hasFunction(token.val)) this.errorf(`function ${quote(token.val)} not defined`);
        return { type: 'identifier', pos: token.pos, ident: token.val };
      case ItemType.dot:
        return { type: 'dot', pos: token.pos };
      case ItemType.nil:
        return { type: 'nil', pos: token.pos };
      case ItemType.variable:
        return this.useVar(token.pos, token.val);
      case ItemType.field:
        return { type: 'field', pos: token.pos, ident: token.val.slice(1).split('.') };
      case ItemType.bool:
        return { type: 'bool', pos: token.pos, value: token.val === 'true' };
      case ItemType.charConstant:
      case ItemType.complex:
      case ItemType.number:
        try {
          return newNumber(token.pos, token.val, token.typ);
        } catch (error) {
          this.errorf((error as Error).message);
        }
      case ItemType.leftParen:
        if (this.stackDepth >= MAX_STACK_DEPTH) this.errorf('max expression depth exceeded');
        this.stackDepth++;
        try {
          return this.pipeline('parenthesized pipeline', ItemType.rightParen);
        } finally {
          this.stackDepth--;
        }
      case ItemType.string:
      case ItemType.rawString:
        return { type: 'string', pos: token.pos, quoted: token.val, text: this.unquote(token.val) };
    }
    this.backup();
    return undefined;
  }

  newVariable(pos: number, name: string): VariableNode {
    return { type: 'variable', pos, ident: name.split('.') };
  }

  useVar(pos: number, name: string): VariableNode {
    const v = this.newVariable(pos, name);
    if (!this.vars.includes(v.ident[0])) this.errorf(`undefined variable ${quote(v.ident[0])}`);
    return v;
  }
}
