// Static checks on a parsed template, before anything renders: every helper exists, every name a template reads
// can exist where it is read (a misspelt field renders nothing), and the key reads written as literals are listed
// so that each resource can check them against its own keys (see reads.ts).
import { ConfigError } from '../errors.js';
import { helperArity, helperNames } from './helpers/index.js';
import { readHelpers, type LiteralRead } from './reads.js';

/** Handlebars' own helpers a template may call, with how many arguments each takes (`log`: any number). */
const builtinArity: ReadonlyMap<string, number> = new Map([['if', 1], ['unless', 1], ['each', 1], ['with', 1], ['lookup', 2]]);
const builtins = new Set([...builtinArity.keys(), 'log']);

/**
 * What a value in a template can be, as far as the source tells: the empty top-level context, a key/value pair,
 * an SRV record, a plain string or number, a list of one of those, or anything (a `json` object, `@root`, `../`).
 */
type Shape = 'root' | 'pair' | 'srv' | 'scalar' | 'any' | `list:${'pair' | 'srv' | 'scalar' | 'any'}`;

const fieldsOf: Partial<Record<Shape, readonly string[]>> = {
  pair: ['key', 'value', 'Key', 'Value'],
  srv: ['target', 'port', 'priority', 'weight'],
};

/** Result shapes of the helpers whose results templates loop over or step into; every other helper gives a scalar. */
const resultShape: Record<string, Shape> = {
  get: 'pair',
  gets: 'list:pair',
  sortKVByLength: 'list:pair',
  getvs: 'list:scalar',
  ls: 'list:scalar',
  lsdir: 'list:scalar',
  split: 'list:scalar',
  seq: 'list:scalar',
  sortByLength: 'list:scalar',
  lookupIP: 'list:scalar',
  lookupIPV4: 'list:scalar',
  lookupIPV6: 'list:scalar',
  lookupSRV: 'list:srv',
  json: 'any',
  jsonArray: 'any',
  map: 'any',
  lookup: 'any',
  and: 'any',
  or: 'any',
};

const dataNames = new Set(['index', 'key', 'first', 'last', 'root', 'level']);

interface Loc {
  start: { line: number; column: number };
}
interface PathNode {
  type: 'PathExpression';
  parts: string[];
  original: string;
  data: boolean;
  depth: number;
}
type Node = Record<string, unknown> & { type?: string; loc?: Loc };
type Scope = { shape: Shape; params: ReadonlyMap<string, Shape> };

/**
 * Checks a parsed template (Handlebars' AST) and returns its literal store reads. Throws a ConfigError naming
 * file:line:column for the first unknown helper, unknown partial, or name that cannot exist where it is read
 * (`{{vaule}}` inside `{{#each (gets …)}}`, where items have key and value). Fields of `json`/`map` results,
 * `@root`, `../` and block parameters taken from them are not knowable from the source and are always accepted.
 */
export function checkTemplate(file: string, ast: unknown): LiteralRead[] {
  const known = new Set([...builtins, ...helperNames]);
  const reads: LiteralRead[] = [];
  const where = (node: Node): string => (node.loc ? `:${node.loc.start.line}:${node.loc.start.column + 1}` : '');
  const fail = (node: Node, message: string): never => {
    throw new ConfigError(`${file}${where(node)}: ${message}`);
  };
  const isHelperPath = (p: PathNode): boolean => p.type === 'PathExpression' && p.parts.length === 1 && !p.data && p.depth === 0 && p.original === p.parts[0];

  /** The shape of a value expression; reports unknown names on the way. */
  const value = (node: Node, scope: Scope): Shape => {
    if (node.type === 'SubExpression') return call(node, scope);
    if (node.type === 'PathExpression') return name(node as unknown as PathNode, node, scope);
    return 'scalar';
  };

  /** A helper call (sub-expression, or mustache/block naming a helper): checks it, records literal reads. */
  /** A built-in helper given the wrong number of arguments fails in Handlebars' internals (`r.lookupProperty is not a function`). */
  const arity = (node: Node, helper: string, given: number, block: boolean): void => {
    const wanted = builtinArity.get(helper);
    if (wanted === undefined || given === wanted) return;
    const form = helper === 'lookup' ? '{{lookup object "field"}}' : `{{#${helper} ${helper === 'each' ? 'list' : 'value'}}}…{{/${helper}}}`;
    fail(node, `\`${block ? '#' : ''}${helper}\` takes ${wanted === 1 ? 'one argument' : `${wanted} arguments`}, got ${given}: ${form}`);
  };

  const call = (node: Node, scope: Scope): Shape => {
    const p = node.path as PathNode;
    if (!isHelperPath(p) || !known.has(p.original)) fail(node, `unknown helper \`${p.original}\`; keyplate has: ${[...helperNames].sort().join(', ')}`);
    const params = (node.params as Node[]) ?? [];
    arity(node, p.original, params.length, false);
    const [min, max] = helperArity(p.original) ?? [0, Infinity];
    if (params.length < min || params.length > max) {
      const wanted = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
      fail(node, `\`${p.original}\` takes ${wanted} argument${max === 1 ? '' : 's'}, got ${params.length}`);
    }
    const first = params[0];
    if (readHelpers[p.original] && first?.type === 'StringLiteral') {
      reads.push({ helper: p.original, arg: first.value as string, line: node.loc?.start.line ?? 0, column: (node.loc?.start.column ?? 0) + 1 });
    }
    const shapes = params.map((param) => value(param, scope));
    hash(node, scope);
    if (p.original === 'reverse') return shapes[0]?.startsWith('list:') ? shapes[0] : 'any';
    return resultShape[p.original] ?? 'scalar';
  };

  const hash = (node: Node, scope: Scope): void => {
    const pairs = ((node.hash as Node | undefined)?.pairs as Node[]) ?? [];
    for (const pair of pairs) value(pair.value as Node, scope);
  };

  /** A name read as a value: it must exist where it is read. */
  const name = (p: PathNode, node: Node, scope: Scope): Shape => {
    if (p.data) {
      if (!dataNames.has(p.parts[0])) fail(node, `unknown data variable \`${p.original}\`; keyplate knows @index, @key, @first, @last and @root`);
      return p.parts[0] === 'index' || p.parts[0] === 'key' || p.parts[0] === 'first' || p.parts[0] === 'last' ? 'scalar' : 'any';
    }
    if (p.depth > 0) return 'any';
    if (p.parts.length === 0) return scope.shape;
    const head = p.parts[0];
    const param = scope.params.get(head);
    if (param !== undefined) return p.parts.length === 1 ? param : field(param, p.parts[1], p, node);
    return field(scope.shape, head, p, node, p.parts.length > 1);
  };

  const field = (shape: Shape, head: string, p: PathNode, node: Node, deeper = false): Shape => {
    if (shape === 'any' || shape.startsWith('list:')) return 'any';
    const fields = fieldsOf[shape];
    if (fields?.includes(head)) return deeper ? 'any' : 'scalar';
    return fail(node, `unknown name \`${p.original}\`: ${explain(shape)}`);
  };

  const statement = (node: Node, scope: Scope): void => {
    switch (node.type) {
      case 'Program':
        for (const s of node.body as Node[]) statement(s, scope);
        return;
      case 'MustacheStatement': {
        const p = node.path as PathNode;
        const params = (node.params as Node[]) ?? [];
        if (p.type !== 'PathExpression') {
          value(p as unknown as Node, scope);
          return;
        }
        // `{{name}}` calls a helper of that name when there is one, else reads the field.
        if ((isHelperPath(p) && known.has(p.original)) || params.length > 0 || node.hash !== undefined) call(node, scope);
        else name(p, node, scope);
        return;
      }
      case 'BlockStatement':
        block(node, scope);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
        fail(node, 'partials ({{> name}}) are not supported: keyplate registers none; write the text in the template');
        return;
      default:
        return;
    }
  };

  const block = (node: Node, scope: Scope): void => {
    const p = node.path as PathNode;
    const params = (node.params as Node[]) ?? [];
    let inner: Shape;
    if (isHelperPath(p) && known.has(p.original)) {
      arity(node, p.original, params.length, true);
      const shapes = params.map((param) => value(param, scope));
      hash(node, scope);
      const arg = shapes[0] ?? 'any';
      inner = p.original === 'each' ? itemOf(arg) : p.original === 'with' ? (arg === 'scalar' ? 'any' : arg) : scope.shape;
    } else if (params.length > 0 || node.hash !== undefined) {
      return fail(node, `unknown helper \`${p.original}\`; keyplate has: ${[...helperNames].sort().join(', ')}`);
    } else {
      // `{{#items}}…{{/items}}`: a section over a field, which must exist.
      value(p as unknown as Node, scope);
      inner = 'any';
    }
    const program = node.program as Node | undefined;
    if (program) {
      const names = (program.blockParams as string[] | undefined) ?? [];
      const params2 = new Map(scope.params);
      if (names[0] !== undefined) params2.set(names[0], inner);
      if (names[1] !== undefined) params2.set(names[1], 'scalar');
      statement(program, { shape: inner, params: params2 });
    }
    if (node.inverse) statement(node.inverse as Node, scope);
  };

  statement(ast as Node, { shape: 'root', params: new Map() });
  return reads;
}

function itemOf(shape: Shape): Shape {
  return shape.startsWith('list:') ? (shape.slice(5) as Shape) : 'any';
}

function explain(shape: Shape): string {
  switch (shape) {
    case 'root':
      return 'the top of a template has no fields; read keys with getv (`{{getv "/app/port"}}`), or loop with `{{#each (gets "/upstream/*")}}{{key}} {{value}}{{/each}}`';
    case 'pair':
      return 'each item here is a key/value pair with `key` and `value` (or `Key` and `Value`)';
    case 'srv':
      return 'each item here is an SRV record with `target`, `port`, `priority` and `weight`';
    default:
      return 'each item here is a string or a number: write `{{this}}`';
  }
}
