// Go templates with confd's functions: compile once (a JSON-serialisable parse tree), render against a RenderScope.
//
// confd runs template.New(base).Funcs(funcMap).ParseFiles(src) and Execute(w, nil): the template is named after
// the file, dot is nil, and the functions are confd's newFuncMap plus memkv's. Keys read are recorded in the scope
// as the Handlebars helpers record them, so waiting for keys and change-proportional re-rendering work the same.
import { ConfigError, RenderError } from '../../errors.js';
import { resolvePendingLookups } from '../helpers/net.js';
import type { RenderScope } from '../scope.js';
import { builtins } from './builtins.js';
import { confdFuncs } from './confd.js';
import { execute } from './exec.js';
import { memkvFuncs, type GoRenderEnv } from './memkv.js';
import type { ListNode, Node } from './nodes.js';
import { GoParseError, parseTemplate } from './parse.js';
import { GoExecError, type Program } from './state.js';
import type { GoFunc } from './values.js';

export { detectDialect, type DialectEvidence, type DialectGuess, type Dialect } from './dialect.js';

/** Every function a confd template can call, by name: confd's and memkv's, then text/template's builtins. */
const FUNCS: ReadonlyMap<string, GoFunc> = new Map([...builtins, ...[...confdFuncs, ...memkvFuncs].map((f) => [f.name, f] as const)]);

/** The names of every function Go templates can call (sorted), for `keyplate check`. */
export const goFunctionNames: readonly string[] = Object.freeze([...FUNCS.keys()].sort());

/** The render result, as the Handlebars path returns it (RenderScope.result). */
export type GoRenderResult = ReturnType<RenderScope['result']>;

/** Options of one render. */
export interface GoRenderOptions {
  /** Where fileExists resolves relative paths: the runner's working directory (default process.cwd()). */
  cwd?: string;
}

/** What a compiled template is made of; JSON.stringify of a GoTemplate gives this (bigints as strings). */
export interface GoTemplateJSON {
  readonly format: 'keyplate-go-template-2';
  /** The trees hold integer literals, written as strings (JSON has no bigint): a load turns them back. */
  readonly integers: boolean;
  readonly name: string;
  readonly text: string;
  readonly trees: Array<[string, ListNode]>;
}

/** A compiled Go template: parse once, render many times. */
export interface GoTemplate {
  /** The template's name: the source file's base name, as confd names it (and as errors quote it). */
  readonly name: string;
  /** The functions the template calls, sorted (a typo is a parse error already). */
  readonly functions: readonly string[];
  /** The store reads written with a literal key, pattern or directory (`getv "/db/host"`), in text order. */
  readonly reads: readonly GoLiteralRead[];
  /** The serialisable form; `loadGoTemplate(JSON.stringify(template))` gives the template back. */
  toJSON(): GoTemplateJSON;
  /**
   * Render with the scope's keys. Synchronous unless a DNS lookup is pending (then a promise, as for Handlebars).
   * A failure is a RenderError with Go's message (`template: NAME:LINE:COL: executing …`), except that when keys
   * are missing the result lists them instead: the failure may only be a consequence of the missing values.
   */
  render(scope: RenderScope, options?: GoRenderOptions): GoRenderResult | Promise<GoRenderResult>;
}

/** A read of the store with a literal argument, where the template writes it (1-based line and column). */
export interface GoLiteralRead {
  /** get, getv, exists (a key), gets, getvs (a pattern), ls or lsdir (a directory). */
  readonly helper: string;
  /** As written: relative to the resource's prefix. */
  readonly arg: string;
  readonly line: number;
  readonly column: number;
}

const readFunctions = new Set(['get', 'getv', 'exists', 'gets', 'getvs', 'ls', 'lsdir']);

/** Every command of the trees that calls a store function with a string literal first (pipes pass computed keys). */
function literalReads(trees: Iterable<ListNode>, text: string): GoLiteralRead[] {
  const reads: GoLiteralRead[] = [];
  eachNode(trees, (node) => {
    if (node.type !== 'command') return;
    const [fn, arg] = node.args;
    if (fn?.type === 'identifier' && readFunctions.has(fn.ident) && arg?.type === 'string') {
      const before = text.slice(0, fn.pos);
      reads.push({ helper: fn.ident, arg: arg.text, line: before.split('\n').length, column: fn.pos - before.lastIndexOf('\n') });
    }
  });
  return reads.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** A template that does not parse: a ConfigError (nothing is written) with Go's message. */
export class GoTemplateSyntaxError extends ConfigError {
  /** Where the parser stopped, 1-based (line, and column in characters), when it stopped at a token. */
  readonly where?: { readonly line: number; readonly column: number };
  /** At an unexpected EOF, the action left open (GoParseError.unclosed). */
  readonly unclosed?: { readonly keyword: string; readonly line: number };

  constructor(error: GoParseError, text: string) {
    super(error.message, { cause: error });
    this.unclosed = error.unclosed;
    if (error.pos === undefined) return;
    const before = text.slice(0, error.pos);
    this.where = { line: before.split('\n').length, column: error.pos - before.lastIndexOf('\n') };
  }
}

/** A template that failed while executing, with Go's message. */
export class GoTemplateExecError extends RenderError {}

/** Call `fn` on every node of the trees (the parse tree is plain objects: every object in it is a node or a list). */
function eachNode(trees: Iterable<ListNode>, fn: (node: Node) => void): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') {
      fn(value as Node);
      for (const key in value) visit((value as Record<string, unknown>)[key]);
    }
  };
  for (const tree of trees) visit(tree);
}

function calledFunctions(trees: Iterable<ListNode>): string[] {
  const names = new Set<string>();
  eachNode(trees, (node) => {
    if (node.type === 'identifier') names.add(node.ident);
  });
  return [...names].sort();
}

class CompiledGoTemplate implements GoTemplate {
  readonly #prog: Program;
  #functions: readonly string[] | undefined;
  #reads: readonly GoLiteralRead[] | undefined;

  constructor(
    readonly name: string,
    text: string,
    trees: ReadonlyMap<string, ListNode>,
  ) {
    this.#prog = { parseName: name, text, trees, funcs: FUNCS };
  }

  /** Worked out on first use: a start loads every template, and only `keyplate check` asks. */
  get functions(): readonly string[] {
    return (this.#functions ??= calledFunctions(this.#prog.trees.values()));
  }

  /** Worked out on first use, as `functions` is. */
  get reads(): readonly GoLiteralRead[] {
    return (this.#reads ??= literalReads(this.#prog.trees.values(), this.#prog.text));
  }

  toJSON(): GoTemplateJSON {
    let integers = false;
    const json = JSON.stringify([...this.#prog.trees], (_key, v) => {
      if (typeof v !== 'bigint') return v;
      integers = true;
      return v.toString();
    });
    return { format: 'keyplate-go-template-2', name: this.name, text: this.#prog.text, integers, trees: JSON.parse(json) };
  }

  render(scope: RenderScope, options: GoRenderOptions = {}): GoRenderResult | Promise<GoRenderResult> {
    const env: GoRenderEnv = { scope, cwd: options.cwd ?? process.cwd() };
    const output = this.#renderOnce(env);
    if (scope.hasPendingLookups()) return this.#renderWithLookups(env);
    return scope.result(output ?? '');
  }

  /** Lookups may depend on earlier answers: at most three renders in all, as for Handlebars. */
  async #renderWithLookups(env: GoRenderEnv): Promise<GoRenderResult> {
    let output: string | undefined = '';
    for (let pass = 0; pass < 2 && env.scope.hasPendingLookups(); pass++) {
      await resolvePendingLookups(env.scope);
      output = this.#renderOnce(env, pass === 1);
    }
    return env.scope.result(output ?? '');
  }

  /** One execution; undefined when it failed but the failure waits on keys or lookups. */
  #renderOnce(env: GoRenderEnv, last = false): string | undefined {
    try {
      return execute(this.#prog, this.name, undefined, env);
    } catch (error) {
      // V8's largest string passed: that is the output size limit, not nesting (the budget names max_output).
      if (error instanceof RangeError && /Invalid string length/.test(error.message)) (env.scope as { budget?: { overSize(): never } }).budget?.overSize();
      if (error instanceof RangeError) {
        throw new GoTemplateExecError(`template: ${this.name}: nested too deeply to execute on keyplate's stack (${error.message})`, { cause: error });
      }
      if (!(error instanceof GoExecError)) throw error;
      if (env.scope.missingKeys.size > 0) return undefined;
      if (env.scope.hasPendingLookups() && !last) return undefined;
      throw new GoTemplateExecError(error.message, { cause: error });
    }
  }
}

/**
 * Parse a Go template. `name` is the name confd gives it: the base name of the template file. Throws
 * GoTemplateSyntaxError with Go's message (`template: NAME:LINE: …`).
 */
export function compileGoTemplate(name: string, text: string): GoTemplate {
  try {
    return new CompiledGoTemplate(name, text, parseTemplate(name, text, (fn) => FUNCS.has(fn)));
  } catch (error) {
    if (error instanceof GoParseError) throw new GoTemplateSyntaxError(error, text);
    throw error;
  }
}

/**
 * A template from its JSON form. Integer literals come back as bigints, in the templates that have any: a walk of
 * those trees only (a reviver on every value had cost 100 templates ~3 ms at a start).
 */
function fromJSON(data: GoTemplateJSON): GoTemplate {
  if (data.format !== 'keyplate-go-template-2') throw new Error(`not a compiled Go template (format ${String(data.format)})`);
  if (data.integers) {
    eachNode(data.trees.map(([, tree]) => tree), (node) => {
      if (node.type !== 'number') return;
      if (typeof node.int === 'string') node.int = BigInt(node.int);
      if (typeof node.uint === 'string') node.uint = BigInt(node.uint);
    });
  }
  return new CompiledGoTemplate(data.name, data.text, new Map(data.trees));
}

/** A template from the JSON of `compileGoTemplate(…)` (the template cache). */
export function loadGoTemplate(json: string): GoTemplate {
  return fromJSON(JSON.parse(json) as GoTemplateJSON);
}

/** Templates from the JSON of an array of compiled templates (a confdir's in one cache entry), in order. */
export function loadGoTemplates(json: string): GoTemplate[] {
  return (JSON.parse(json) as GoTemplateJSON[]).map(fromJSON);
}
