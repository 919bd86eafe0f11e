// The parser of Go's text/template (Go 1.19 text/template/parse/parse.go): the same three-token look-ahead,
// variable scoping, else-if chains, define/block/template, break/continue inside range, and the same errors
// (`template: NAME:LINE: …`, with the line of the last token read, as Go reports it). This file holds the structure
// (actions, control, define/block/template); the pipelines inside actions are parse-pipeline.ts's.
import { ItemType, Lexer, type Item } from './lex.js';
import { isEmptyTree, nodeString, type BranchNode, type EndElseNode, type ListNode, type Node, type PipeNode } from './nodes.js';
import { PipelineParser } from './parse-pipeline.js';
import { GoParseError } from './parse-tokens.js';
import { quote } from './strconv.js';

export { GoParseError } from './parse-tokens.js';

/** Parsed trees by template name: the file's own tree and those of its {{define}} and {{block}}. */
export type TreeSet = Map<string, ListNode>;

type ListItem = Node | EndElseNode;

function isEndOrElse(n: ListItem): n is EndElseNode {
  return n.type === 'end' || n.type === 'else';
}

class Tree extends PipelineParser {
  root: ListNode | undefined;
  private rangeDepth = 0;
  /** The actions whose {{end}} is still to come, innermost last: an unexpected EOF names the one left open. */
  private readonly open: Array<{ keyword: string; line: number }> = [];

  constructor(
    public name: string,
    parseName: string,
    lex: Lexer,
    private readonly treeSet: TreeSet,
    hasFunction: (name: string) => boolean,
  ) {
    super(parseName, lex, hasFunction);
  }

  override errorf(message: string): never {
    this.root = undefined; // as Go's errorf clears the tree
    return super.errorf(message);
  }

  // ---- structure
  /** parse: the top level, where {{define}} may appear. */
  parse(): void {
    this.root = { type: 'list', pos: this.peek().pos, nodes: [] };
    while (this.peek().typ !== ItemType.eof) {
      if (this.peek().typ === ItemType.leftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().typ === ItemType.define) {
          new Tree('definition', this.parseName, this.lex, this.treeSet, this.hasFunction).parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (isEndOrElse(n)) return this.errorf(`unexpected ${nodeString(n)}`);
      this.root.nodes.push(n);
    }
  }

  /** add: record the tree; a second non-empty definition of a name is an error. */
  add(): void {
    const tree = this.treeSet.get(this.name);
    if (tree === undefined || isEmptyTree(tree)) {
      this.treeSet.set(this.name, this.root!);
      return;
    }
    if (!isEmptyTree(this.root)) this.errorf(`template: multiple definition of template ${quote(this.name)}`);
  }

  parseDefinition(): void {
    const context = 'define clause';
    const name = this.expectOneOf(ItemType.string, ItemType.rawString, context);
    this.name = this.unquote(name.val);
    this.expect(ItemType.rightDelim, context);
    const [root, end] = this.openList('define', name.line);
    this.root = root;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add();
  }

  /** itemList: text and actions up to {{end}} or {{else}}, returned separately. */
  itemList(): [ListNode, ListItem] {
    const list: ListNode = { type: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== ItemType.eof) {
      const n = this.textOrAction();
      if (isEndOrElse(n)) return [list, n];
      list.nodes.push(n);
    }
    const unclosed = this.open[this.open.length - 1];
    try {
      this.errorf('unexpected EOF');
    } catch (error) {
      if (error instanceof GoParseError) error.unclosed = unclosed;
      throw error;
    }
  }

  /** itemList inside an action that needs its {{end}} (`keyword` opened on `line`). */
  openList(keyword: string, line: number): [ListNode, ListItem] {
    this.open.push({ keyword, line });
    try {
      return this.itemList();
    } finally {
      this.open.pop();
    }
  }

  textOrAction(): ListItem {
    const token = this.nextNonSpace();
    if (token.typ === ItemType.text) return { type: 'text', pos: token.pos, text: token.val };
    if (token.typ === ItemType.leftDelim) {
      this.actionLine = token.line;
      try {
        return this.action();
      } finally {
        this.actionLine = 0;
      }
    }
    this.unexpected(token, 'input');
  }

  /** action: a control keyword, or a pipeline to print. */
  action(): ListItem {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case ItemType.block:
        return this.blockControl();
      case ItemType.break:
      case ItemType.continue:
        return this.loopControl(token);
      case ItemType.else:
        return this.elseControl();
      case ItemType.end:
        return { type: 'end', pos: this.expect(ItemType.rightDelim, 'end').pos, line: token.line };
      case ItemType.if:
        return this.control('if');
      case ItemType.range:
        return this.control('range');
      case ItemType.template:
        return this.templateControl();
      case ItemType.with:
        return this.control('with');
    }
    this.backup();
    const first = this.peek();
    // Variables declared here persist until the enclosing {{end}}.
    return { type: 'action', pos: first.pos, line: first.line, pipe: this.pipeline('command', ItemType.rightDelim) };
  }

  loopControl(keyword: Item): Node {
    const name = keyword.typ === ItemType.break ? 'break' : 'continue';
    const token = this.nextNonSpace();
    if (token.typ !== ItemType.rightDelim) this.unexpected(token, `{{${name}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${name}}} outside {{range}}`);
    return { type: name, pos: keyword.pos, line: keyword.line };
  }

  elseControl(): EndElseNode {
    // "{{else if …" is read as "{{else}}{{if …": the if is left pending.
    const peek = this.peekNonSpace();
    if (peek.typ === ItemType.if) return { type: 'else', pos: peek.pos, line: peek.line };
    const token = this.expect(ItemType.rightDelim, 'else');
    return { type: 'else', pos: token.pos, line: token.line };
  }

  /** parseControl for if, range and with; variables declared in the pipeline or body end at {{end}}. */
  control(context: 'if' | 'range' | 'with'): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, ItemType.rightDelim);
      if (context === 'range') this.rangeDepth++;
      const [list, next] = this.openList(context, pipe.line);
      if (context === 'range') this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        if (context === 'if' && this.peek().typ === ItemType.if) {
          // {{if a}}_{{else if b}}_{{end}} is {{if a}}_{{else}}{{if b}}_{{end}}{{end}}: one {{end}} closes both.
          this.next();
          elseList = { type: 'list', pos: next.pos, nodes: [this.control('if')] };
        } else {
          let end: ListItem;
          [elseList, end] = this.openList(context, pipe.line);
          if (end.type !== 'end') this.errorf(`expected end; found ${nodeString(end)}`);
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  blockControl(): Node {
    const context = 'block clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    const pipe = this.pipeline(context, ItemType.rightDelim);
    const block = new Tree(name, this.parseName, this.lex, this.treeSet, this.hasFunction);
    const [root, end] = block.openList('block', token.line);
    block.root = root;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    block.add();
    return { type: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  templateControl(): Node {
    const context = 'template clause';
    const token = this.nextNonSpace();
    const name = this.templateName(token, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().typ !== ItemType.rightDelim) {
      this.backup();
      pipe = this.pipeline(context, ItemType.rightDelim);
    }
    return { type: 'template', pos: token.pos, line: token.line, name, pipe };
  }

  templateName(token: Item, context: string): string {
    if (token.typ === ItemType.string || token.typ === ItemType.rawString) return this.unquote(token.val);
    this.unexpected(token, context);
  }
}

/**
 * Parse one template file the way confd does (template.New(base).ParseFiles(src)): the tree named `name` plus
 * every {{define}}/{{block}} in it. `hasFunction` says which identifiers are functions. Throws GoParseError.
 */
export function parseTemplate(name: string, text: string, hasFunction: (name: string) => boolean): TreeSet {
  const treeSet: TreeSet = new Map();
  const tree = new Tree(name, name, new Lexer(text), treeSet, hasFunction);
  try {
    tree.parse();
    tree.add();
  } catch (error) {
    // JavaScript's stack is shallower than Go's: thousands of nested parentheses run out of it first.
    if (error instanceof RangeError) throw new GoParseError(`template: ${name}: max expression depth exceeded (keyplate's limit is lower than Go's 10000)`);
    throw error;
  }
  return treeSet;
}
