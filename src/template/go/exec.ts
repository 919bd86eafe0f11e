// The walk over a template's tree (Go 1.19 text/template/exec.go walk*): text, actions, if/with/else, range
// with break/continue and else, and {{template}} calls with a fresh variable scope.
import { evalPipeline } from './eval.js';
import type { ActionNode, BranchNode, ListNode, Node, TemplateNode } from './nodes.js';
import { printOne } from './print.js';
import { sprintf } from './printf.js';
import { compareGoStrings } from './sort.js';
import { State, type Program } from './state.js';
import { quote } from './strconv.js';
import { GoMap, GoPtr, GoSlice, isTrue, type Value } from './values.js';

/** Go's maxExecDepth: nested {{template}} calls before "exceeded maximum template depth". */
const MAX_EXEC_DEPTH = 100000;

// {{break}} and {{continue}} unwind to the enclosing range, as Go's walkBreak/walkContinue panics do.
const BREAK = { loop: 'break' };
const CONTINUE = { loop: 'continue' };

function walk(s: State, dot: Value, node: Node): void {
  s.at(node);
  switch (node.type) {
    case 'text':
      s.out += node.text;
      return;
    case 'action':
      return walkAction(s, dot, node);
    case 'list':
      for (const n of node.nodes) walk(s, dot, n);
      return;
    case 'if':
    case 'with':
      return walkIfOrWith(s, dot, node);
    case 'range':
      return walkRange(s, dot, node);
    case 'template':
      return walkTemplate(s, dot, node);
    case 'break':
      throw BREAK;
    case 'continue':
      throw CONTINUE;
  }
  s.errorf(`unknown node: ${node.type}`);
}

/** An action prints its pipeline's value, unless it declares variables (which persist until the next end). */
function walkAction(s: State, dot: Value, node: ActionNode): void {
  const val = evalPipeline(s, dot, node.pipe);
  if (node.pipe.decl.length === 0) printValue(s, node, val);
}

/** printValue: fmt.Fprint of the value, through a pointer; no value prints "<no value>". */
function printValue(s: State, node: Node, v: Value): void {
  s.at(node);
  if (v instanceof GoPtr && v.elem) v = v.elem;
  if (v === undefined) s.out += '<no value>';
  // fmt's %v of a string is the string and of an int its decimal digits: no printer needed for the common cases.
  else if (typeof v === 'string') s.out += v;
  else if (typeof v === 'bigint') s.out += v.toString();
  else s.out += printOne(v);
}

/** walkIfOrWith: the two differ only in that with sets dot; variables of the pipeline end at {{end}}. */
function walkIfOrWith(s: State, dot: Value, node: BranchNode): void {
  const mark = s.mark();
  try {
    const val = evalPipeline(s, dot, node.pipe);
    if (isTrue(val)) walk(s, node.type === 'with' ? val : dot, node.list);
    else if (node.elseList) walk(s, dot, node.elseList);
  } finally {
    s.pop(mark);
  }
}

/** What keyplate's render budget (render_timeout, max_output; template/render-limits.ts) offers a running loop. */
interface LoopBudget {
  tick(): void;
  grew(chars: number): void;
}

/** The resource's render budget, when the render scope carries one (template/resource-scope.ts). */
function budgetOf(s: State): LoopBudget | undefined {
  return (s.env as { scope?: { budget?: LoopBudget } } | undefined)?.scope?.budget;
}

function walkRange(s: State, dot: Value, r: BranchNode): void {
  s.at(r);
  const outer = s.mark();
  // Every iteration is counted against render_timeout and the output so far against max_output: a runaway range
  // (seq inside seq) ends with keyplate's error instead of blocking the loop for minutes or exhausting the heap.
  const budget = budgetOf(s);
  try {
    let val = evalPipeline(s, dot, r.pipe);
    if (val instanceof GoPtr && val.elem) val = val.elem;
    const mark = s.mark();
    const oneIteration = (index: Value, elem: Value): void => {
      if (budget) {
        budget.tick();
        budget.grew(s.out.length);
      }
      setRangeVars(s, r, index, elem);
      try {
        walk(s, elem, r.list);
      } catch (error) {
        if (error !== CONTINUE) throw error;
      } finally {
        s.pop(mark);
      }
    };
    if (val instanceof GoSlice) {
      if (val.items.length > 0) {
        // The length is read each time, as Go does: a body that changes the slice sees the change.
        for (let i = 0; i < val.items.length; i++) oneIteration(BigInt(i), val.items[i]);
        return;
      }
    } else if (val instanceof GoMap) {
      if (val.entries.size > 0) {
        const keys = [...val.entries.keys()].sort(compareGoStrings);
        const values = keys.map((k) => val.entries.get(k));
        keys.forEach((key, i) => oneIteration(key, values[i]));
        return;
      }
    } else if (val !== undefined) {
      s.errorf(`range can't iterate over ${sprintf('%v', [val])}`);
    }
    if (r.elseList) walk(s, dot, r.elseList);
  } catch (error) {
    if (error !== BREAK) throw error;
  } finally {
    s.pop(outer);
  }
}

/** The range variables: one gets the element; two get index (or key) and element; with = they are assigned. */
function setRangeVars(s: State, r: BranchNode, index: Value, elem: Value): void {
  const decl = r.pipe.decl;
  if (decl.length === 0) return;
  if (r.pipe.isAssign) {
    if (decl.length > 1) {
      s.setVar(decl[0].ident[0], index);
      s.setVar(decl[1].ident[0], elem);
    } else s.setVar(decl[0].ident[0], elem);
    return;
  }
  s.setTopVar(1, elem);
  if (decl.length > 1) s.setTopVar(2, index);
}

/** walkTemplate: run a named template with the pipeline's value as dot and only $ defined (no dynamic scoping). */
function walkTemplate(s: State, dot: Value, t: TemplateNode): void {
  s.at(t);
  const root = s.prog.trees.get(t.name);
  if (!root) s.errorf(`template ${quote(t.name)} not defined`);
  if (s.depth === MAX_EXEC_DEPTH) s.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
  const value = evalPipeline(s, dot, t.pipe);
  const inner = new State(s.prog, t.name, value, s.depth + 1, s.env);
  try {
    walk(inner, value, root);
  } catch (error) {
    // JavaScript's stack is shallower than Go's: report running out of it as Go reports too deep a recursion.
    if (error instanceof RangeError) {
      s.at(t);
      s.errorf(`exceeded maximum template depth (${MAX_EXEC_DEPTH})`);
    }
    throw error;
  }
  s.out += inner.out;
}

/** Execute the template named `name` with `data` as dot; returns the output. Throws GoExecError. */
export function execute(prog: Program, name: string, data: Value, env: unknown): string {
  const root: ListNode | undefined = prog.trees.get(name);
  const s = new State(prog, name, data, 0, env);
  if (!root) return s.errorf(`${quote(name)} is an incomplete or empty template`);
  walk(s, data, root);
  return s.out;
}
