// Evaluation of pipelines, commands and arguments (Go 1.19 text/template/exec.go eval*): field chains on maps and
// structs, method and function calls with Go's argument rules (evalArg, validateType), and and/or short-circuit.
import { nodeString, type ArgNode, type ChainNode, type CommandNode, type FieldNode, type IdentifierNode, type Node, type NumberNode, type PipeNode, type VariableNode } from './nodes.js';
import { GoCallError, MISSING, type Final, type State } from './state.js';
import { quote } from './strconv.js';
import { GoComplex, GoInt, GoMap, GoPtr, GoStruct, GoTime, T, assignable, canBeNil, isTrue, typeOf, zeroOf, type GoFunc, type GoType, type Value } from './values.js';

/** evalPipeline: run the commands, each one's value the last argument of the next; then declare or assign. */
export function evalPipeline(s: State, dot: Value, pipe: PipeNode | undefined): Value {
  if (!pipe) return undefined;
  s.at(pipe);
  let value: Final = MISSING;
  for (const cmd of pipe.cmds) {
    value = evalCommand(s, dot, cmd, value);
    // A value of type interface{} is replaced by what it holds: a nil interface becomes no value.
    if (value === null) value = undefined;
  }
  const result = value as Value;
  for (const variable of pipe.decl) {
    if (pipe.isAssign) s.setVar(variable.ident[0], result);
    else s.push(variable.ident[0], result);
  }
  return result;
}

function notAFunction(s: State, args: readonly Node[], final: Final): void {
  if (args.length > 1 || final !== MISSING) s.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
}

function evalCommand(s: State, dot: Value, cmd: CommandNode, final: Final): Value {
  const first = cmd.args[0];
  switch (first.type) {
    case 'field':
      return evalFieldNode(s, dot, first, cmd.args, final);
    case 'chain':
      return evalChainNode(s, dot, first, cmd.args, final);
    case 'identifier':
      return evalFunction(s, dot, first, cmd, cmd.args, final);
    case 'pipe':
      notAFunction(s, cmd.args, final);
      return evalPipeline(s, dot, first);
    case 'variable':
      return evalVariableNode(s, dot, first, cmd.args, final);
  }
  s.at(first);
  notAFunction(s, cmd.args, final);
  switch (first.type) {
    case 'bool':
      return first.value;
    case 'dot':
      return dot;
    case 'nil':
      return s.errorf('nil is not a command');
    case 'number':
      return idealConstant(s, first);
    case 'string':
      return first.text;
  }
}

/** idealConstant: a number with no type from context takes the type its syntax suggests (int, float64, complex). */
function idealConstant(s: State, n: NumberNode): Value {
  s.at(n);
  if (n.isComplex) return new GoComplex(n.complex![0], n.complex![1]);
  const isHexInt = n.text.length > 2 && n.text[0] === '0' && (n.text[1] === 'x' || n.text[1] === 'X') && !/[pP]/.test(n.text);
  if (n.isFloat && !isHexInt && n.text[0] !== "'" && /[.eEpP]/.test(n.text)) return n.float!;
  if (n.isInt) return n.int!;
  if (n.isUint) s.errorf(`${n.text} overflows int`);
  return undefined;
}

function evalFieldNode(s: State, dot: Value, field: FieldNode, args: readonly ArgNode[] | undefined, final: Final): Value {
  s.at(field);
  return evalFieldChain(s, dot, dot, field, field.ident, args, final);
}

function evalChainNode(s: State, dot: Value, chain: ChainNode, args: readonly ArgNode[] | undefined, final: Final): Value {
  s.at(chain);
  if (chain.field.length === 0) s.errorf('internal error: no fields in evalChainNode');
  if (chain.node.type === 'nil') s.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
  // (pipe).Field1.Field2: evaluate the pipeline, then the fields.
  const pipe = evalArg(s, dot, undefined, chain.node);
  return evalFieldChain(s, dot, pipe, chain, chain.field, args, final);
}

function evalVariableNode(s: State, dot: Value, variable: VariableNode, args: readonly ArgNode[] | undefined, final: Final): Value {
  s.at(variable);
  const value = s.varValue(variable.ident[0]);
  if (variable.ident.length === 1) {
    notAFunction(s, args ?? [], final);
    return value;
  }
  return evalFieldChain(s, dot, value, variable, variable.ident.slice(1), args, final);
}

/** evalFieldChain: .X.Y.Z; only the last may be a method given the arguments. */
function evalFieldChain(s: State, dot: Value, receiver: Value, node: Node, ident: readonly string[], args: readonly ArgNode[] | undefined, final: Final): Value {
  const n = ident.length;
  for (let i = 0; i < n - 1; i++) receiver = evalField(s, dot, ident[i], node, undefined, MISSING, receiver);
  return evalField(s, dot, ident[n - 1], node, args, final, receiver);
}

function evalFunction(s: State, dot: Value, node: IdentifierNode, cmd: Node, args: readonly ArgNode[] | undefined, final: Final): Value {
  s.at(node);
  const fn = s.prog.funcs.get(node.ident);
  if (!fn) s.errorf(`${quote(node.ident)} is not a defined function`);
  return evalCall(s, dot, fn, undefined, cmd, node.ident, args, final);
}

/** indirect: through pointers and interfaces; isNil when it stops at a nil one. */
function indirect(v: Value): [Value, boolean] {
  if (v === null) return [v, true];
  if (v instanceof GoPtr) return v.elem ? [v.elem, false] : [v, true];
  return [v, false];
}

/** evalField: a method, a struct field or a map element named fieldName. */
function evalField(s: State, dot: Value, fieldName: string, node: Node, args: readonly ArgNode[] | undefined, final: Final, receiver: Value): Value {
  if (receiver === undefined) return undefined; // nil data: no entry (missingkey=default)
  const typ = typeOf(receiver);
  const [value, isNil] = indirect(receiver);
  if (value === null) s.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
  const valueType = typeOf(value as Exclude<Value, undefined>);
  // Own properties only: `.constructor` or `.valueOf` must not find Object.prototype's.
  const method = valueType.methods && Object.hasOwn(valueType.methods, fieldName) ? valueType.methods[fieldName] : undefined;
  if (method && !isNil) return evalCall(s, dot, method, value, node, fieldName, args, final);
  const hasArgs = (args?.length ?? 0) > 1 || final !== MISSING;
  if (value instanceof GoStruct || value instanceof GoTime) {
    const index = valueType.fields?.findIndex((f) => f.name === fieldName) ?? -1;
    if (index >= 0) {
      if (hasArgs) s.errorf(`${fieldName} has arguments but cannot be invoked as function`);
      return (value as GoStruct).fields[index];
    }
    if (valueType.hidden?.includes(fieldName)) s.errorf(`${fieldName} is an unexported field of struct type ${typ.name}`);
  } else if (value instanceof GoMap) {
    if (hasArgs) s.errorf(`${fieldName} is not a method but has arguments`);
    // A missing key is no value (missingkey=default); a key holding JSON null is a nil interface{}.
    return value.entries.has(fieldName) ? value.entries.get(fieldName) : undefined;
  } else if (value instanceof GoPtr && isNil) {
    if (value.type.elem?.fields?.some((f) => f.name === fieldName)) s.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
  }
  return s.errorf(`can't evaluate field ${fieldName} in type ${typ.name}`);
}

/**
 * evalCall: check the argument count against the signature, evaluate each argument for its parameter type, call,
 * and stop with "error calling NAME: …" when the function returns an error. `receiver` is set for methods.
 */
function evalCall(s: State, dot: Value, fn: GoFunc, receiver: Value, node: Node, name: string, allArgs: readonly ArgNode[] | undefined, final: Final): Value {
  const args = allArgs ? allArgs.slice(1) : [];
  const numIn = args.length + (final !== MISSING ? 1 : 0);
  let numFixed = args.length;
  if (fn.variadic) {
    numFixed = fn.params.length;
    if (numIn < numFixed) s.errorf(`wrong number of args for ${name}: want at least ${numFixed} got ${args.length}`);
  } else if (numIn !== fn.params.length) s.errorf(`wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
  if (fn.noResults) s.errorf(`can't call method/function ${quote(name)} with 0 results`);
  if (fn.builtin && (name === 'and' || name === 'or')) return andOr(s, dot, name, args, final);
  const argv: Value[] = [];
  let i = 0;
  for (; i < numFixed && i < args.length; i++) argv[i] = evalArg(s, dot, fn.params[i], args[i]);
  if (fn.variadic) for (; i < args.length; i++) argv[i] = evalArg(s, dot, fn.variadic, args[i]);
  if (final !== MISSING) {
    let t = fn.params[fn.params.length - 1];
    if (fn.variadic) t = numIn - 1 < numFixed ? fn.params[numIn - 1] : fn.variadic;
    argv[i] = validateType(s, final, t);
  }
  if (receiver !== undefined) argv.unshift(receiver);
  try {
    return fn.impl(argv, s);
  } catch (error) {
    if (!(error instanceof GoCallError)) throw error;
    s.at(node);
    return s.errorf(`error calling ${name}: ${error.message}`);
  }
}

/** The builtin and/or short-circuit: the first operand that decides, else the last (a piped value comes last). */
function andOr(s: State, dot: Value, name: string, args: readonly ArgNode[], final: Final): Value {
  let v: Value;
  for (const arg of args) {
    v = evalArg(s, dot, T.reflectValue, arg);
    if (isTrue(v) === (name === 'or')) return v;
  }
  if (final !== MISSING) v = validateType(s, final, T.reflectValue);
  return v;
}

/** validateType: the value must be valid and assignable to the parameter type (one pointer dereference allowed). */
function validateType(s: State, value: Value, typ: GoType | undefined): Value {
  if (value === undefined) {
    if (typ === undefined || typ === T.reflectValue) return undefined;
    if (canBeNil(typ)) return zeroOf(typ);
    return s.errorf(`invalid value; expected ${typ.name}`);
  }
  if (typ === undefined || typ === T.reflectValue) return value;
  const from = typeOf(value);
  if (assignable(from, typ)) return value;
  if (value instanceof GoPtr && value.type.elem && assignable(value.type.elem, typ)) {
    if (!value.elem) s.errorf(`dereference of nil pointer of type ${typ.name}`);
    return value.elem;
  }
  return s.errorf(`wrong type for value; expected ${typ.name}; got ${from.name}`);
}

/** evalArg: evaluate an argument for a parameter of type `typ` (undefined: no type, as for a chain's head). */
function evalArg(s: State, dot: Value, typ: GoType | undefined, n: ArgNode): Value {
  s.at(n);
  switch (n.type) {
    case 'dot':
      return validateType(s, dot, typ);
    case 'nil':
      if (typ && canBeNil(typ)) return typ === T.reflectValue ? undefined : zeroOf(typ);
      return s.errorf(`cannot assign nil to ${typ?.name}`);
    case 'field':
      return validateType(s, evalFieldNode(s, dot, n, [n], MISSING), typ);
    case 'variable':
      return validateType(s, evalVariableNode(s, dot, n, undefined, MISSING), typ);
    case 'pipe':
      return validateType(s, evalPipeline(s, dot, n), typ);
    case 'identifier':
      return validateType(s, evalFunction(s, dot, n, n, undefined, MISSING), typ);
    case 'chain':
      return validateType(s, evalChainNode(s, dot, n, undefined, MISSING), typ);
  }
  return evalLiteral(s, typ!, n);
}

/** A literal argument converted to the parameter's type, as Go converts untyped constants (or refuses). */
function evalLiteral(s: State, typ: GoType, n: ArgNode): Value {
  const found = (what: string): never => s.errorf(`expected ${what}; found ${nodeString(n)}`);
  switch (typ.kind) {
    case 'bool':
      s.at(n);
      return n.type === 'bool' ? n.value : found('bool');
    case 'complex128':
      return n.type === 'number' && n.isComplex ? new GoComplex(n.complex![0], n.complex![1]) : found('complex');
    case 'float64':
      s.at(n);
      return n.type === 'number' && n.isFloat ? n.float! : found('float');
    case 'int':
    case 'int64':
    case 'int32':
      s.at(n);
      if (n.type !== 'number' || !n.isInt) return found('integer');
      return typ === T.int ? n.int! : new GoInt(typ, n.int!);
    case 'uint8':
    case 'uint16':
      s.at(n);
      return n.type === 'number' && n.isUint ? new GoInt(typ, n.uint!) : found('unsigned integer');
    case 'string':
      s.at(n);
      return n.type === 'string' ? n.text : found('string');
    case 'interface':
      return evalEmptyInterface(s, n);
  }
  if (typ === T.reflectValue) return evalEmptyInterface(s, n);
  return s.errorf(`can't handle ${nodeString(n)} for arg of type ${typ.name}`);
}

function evalEmptyInterface(s: State, n: ArgNode): Value {
  s.at(n);
  switch (n.type) {
    case 'bool':
      return n.value;
    case 'number':
      return idealConstant(s, n);
    case 'string':
      return n.text;
  }
  return s.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
}

