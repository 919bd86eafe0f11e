// The state of one execution (Go 1.19 text/template/exec.go `state`): the variable stack, the node being
// evaluated (for errors), the output, and Go's error text `template: NAME:LINE:COL: executing "NAME" at <…>: …`.
import type { ListNode, Node } from './nodes.js';
import { nodeString } from './nodes.js';
import { quote } from './strconv.js';
import type { GoFunc, Value } from './values.js';

/** A template that failed while executing; the message is Go's. */
export class GoExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoExecError';
  }
}

import { GoCallError } from './values.js';

export { GoCallError };

/** Return an error from a function: the template stops with "error calling NAME: message". */
export function callFailed(message: string): never {
  throw new GoCallError(message);
}

/** Everything one compiled file provides to an execution. */
export interface Program {
  /** The file's name: parse.Tree.ParseName, the location in every error. */
  readonly parseName: string;
  /** The file's text, to turn node positions into line:column. */
  readonly text: string;
  readonly trees: ReadonlyMap<string, ListNode>;
  readonly funcs: ReadonlyMap<string, GoFunc>;
}

/** A marker for "no pipeline value to pass on" (exec.go missingVal). */
export const MISSING: unique symbol = Symbol('missing');
/** The value a pipeline passes to its next command, or MISSING for the first command. */
export type Final = Value | typeof MISSING;

interface Variable {
  readonly name: string;
  value: Value;
}

/** Line and byte column of a position, as parse.Tree.ErrorContext computes them. */
export function lineAndColumn(text: string, pos: number): [number, number] {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return [line, Buffer.byteLength(before.slice(nl + 1), 'utf8')];
}

/** One execution of one template: a {{template}} call runs in a new State (no dynamic scoping). */
export class State {
  node: Node | undefined;
  readonly vars: Variable[];
  out = '';

  constructor(
    readonly prog: Program,
    /** Name of the template executing (the file, or a {{define}}d name). */
    readonly name: string,
    dot: Value,
    readonly depth: number,
    /** Passed to every function (the render scope and options). */
    readonly env: unknown,
  ) {
    this.vars = [{ name: '$', value: dot }];
  }

  at(node: Node): void {
    this.node = node;
  }

  errorf(message: string): never {
    if (this.node === undefined) throw new GoExecError(`template: ${this.name}: ${message}`);
    const [line, col] = lineAndColumn(this.prog.text, this.node.pos);
    throw new GoExecError(`template: ${this.prog.parseName}:${line}:${col}: executing ${quote(this.name)} at <${nodeString(this.node)}>: ${message}`);
  }

  push(name: string, value: Value): void {
    this.vars.push({ name, value });
  }
  mark(): number {
    return this.vars.length;
  }
  pop(mark: number): void {
    this.vars.length = mark;
  }
  /** setVar: overwrite the last declared variable of that name ($x = …). */
  setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  /** setTopVar: overwrite the n-th variable from the top (range iterations). */
  setTopVar(n: number, value: Value): void {
    this.vars[this.vars.length - n].value = value;
  }
  varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.errorf(`undefined variable: ${name}`);
  }
}
