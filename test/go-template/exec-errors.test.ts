// Templates that fail while executing: Go's message `template: FILE:LINE:COL: executing "NAME" at <NODE>: …`,
// where LINE:COL (0-based byte column) and NODE are those of the node Go was evaluating when it stopped.
import { describe, expect, it } from 'vitest';
import { RenderError } from '../../src/errors.js';
import { GoTemplateExecError, compileGoTemplate } from '../../src/template/go/index.js';
import { render, scopeFor } from './harness.js';

const at = (col: number, node: string, message: string, line = 1): string => `error: template: t:${line}:${col}: executing "t" at <${node}>: ${message}`;

const rows: Array<[name: string, template: string, expected: string]> = [
  // Commands.
  ['nil is not a command', '{{nil}}', at(2, 'nil', 'nil is not a command')],
  ['nor in an if', '{{if nil}}x{{end}}', at(5, 'nil', 'nil is not a command')],
  ['arguments to a constant', '{{3 2}}', at(2, '3', "can't give argument to non-function 3")],
  ['arguments to a variable', '{{$x := 1}}{{$x 2}}', at(13, '$x', "can't give argument to non-function $x")],
  ['a piped value to a variable', '{{$x := 1}}{{3 | $x}}', at(17, '$x', "can't give argument to non-function $x")],
  ['a piped value to parentheses', '{{3 | (print 1)}}', at(2, '3', "can't give argument to non-function print 1")],
  // Fields.
  ['a field of an int', '{{with 1}}{{.X}}{{end}}', at(12, '.X', "can't evaluate field X in type int")],
  ['a field of a string', '{{with "s"}}{{.X}}{{end}}', at(14, '.X', "can't evaluate field X in type string")],
  ['a field of a parenthesised int', '{{(1).x}}', at(3, '1', "can't evaluate field x in type int")],
  ['a field of a list', '{{(split "a" ",").x}}', at(13, '","', "can't evaluate field x in type []string")],
  ['a field of a JSON null element', '{{range (json `{"l":[null]}`).l}}{{.x}}{{end}}', at(35, '.x', 'nil pointer evaluating interface {}.x')],
  ['a struct field given arguments', '{{(get "/top").Key 1}}', at(7, '"/top"', 'Key has arguments but cannot be invoked as function')],
  ['a map key given arguments', '{{(json `{}`).k 1}}', at(8, '`{}`', 'k is not a method but has arguments')],
  ['an unknown field of a pair', '{{(get "/top").Nope}}', at(7, '"/top"', "can't evaluate field Nope in type memkv.KVPair")],
  // JavaScript's Object.prototype names are not Go methods (they crashed the engine: a fuzz find).
  ['valueOf of a pair', '{{(get "/top").valueOf}}', at(7, '"/top"', "can't evaluate field valueOf in type memkv.KVPair")],
  ['constructor of a time', '{{(datetime).constructor}}', at(3, 'datetime', "can't evaluate field constructor in type time.Time")],
  ['a method given too many arguments', '{{(get "/top").Depth 1}}', at(7, '"/top"', 'wrong number of args for Depth: want 0 got 1')],
  ['a method with no result', '{{(gets "/upstream/*").Swap 0 1}}', at(8, '"/upstream/*"', 'can\'t call method/function "Swap" with 0 results')],
  ['a method that panics', '{{(gets "/upstream/*").Less 0 5}}', at(22, '(gets "/upstream/*").Less', 'error calling Less: runtime error: index out of range [5] with length 3')],
  // Arguments.
  ['too few arguments', '{{add 1}}', at(2, 'add', 'wrong number of args for add: want 2 got 1')],
  ['too many arguments', '{{not 1 2}}', at(2, 'not', 'wrong number of args for not: want 1 got 2')],
  ['too few for a variadic function', '{{getv}}', at(2, 'getv', 'wrong number of args for getv: want at least 1 got 0')],
  ['printf needs its format', '{{printf}}', at(2, 'printf', 'wrong number of args for printf: want at least 1 got 0')],
  ['a number for a string parameter', '{{getv 1}}', at(7, '1', 'expected string; found 1')],
  ['a number for a variadic string', '{{getv "/a" 1}}', at(12, '1', 'expected string; found 1')],
  ['a string for an int parameter', '{{add "1" 2}}', at(6, '"1"', 'expected integer; found "1"')],
  ['a float for an int parameter', '{{add 1.5 2}}', at(6, '1.5', 'expected integer; found 1.5')],
  ['a bool for a string parameter', '{{base true}}', at(7, 'true', 'expected string; found true')],
  ['nil for a string parameter', '{{base nil}}', at(7, 'nil', 'cannot assign nil to string')],
  ['a JSON number (float64) for an int', '{{$j := json `{"n":1}`}}{{add $j.n 1}}', at(32, '$j.n', 'wrong type for value; expected int; got float64')],
  ['a JSON array for []string', '{{join (jsonArray `["a"]`) ","}}', at(18, '`["a"]`', 'wrong type for value; expected []string; got []interface {}')],
  ['a piped value of the wrong type', '{{"x" | add 1}}', at(12, '1', 'wrong type for value; expected int; got string')],
  ['a piped int as the format', '{{1 | printf}}', at(6, 'printf', 'wrong type for value; expected string; got int')],
  ['no value for an int', '{{add .X 1}}', at(6, '.X', 'invalid value; expected int')],
  ['a JSON null is a nil interface{}', '{{base (json `{"n":null}`).n}}', at(13, '`{"n":null}`', 'wrong type for value; expected string; got interface {}')],
  ['a missing key is no value', '{{base (json `{}`).n}}', at(13, '`{}`', 'invalid value; expected string')],
  // Functions that return an error.
  ['index out of range', '{{index "hi" 5}}', at(2, 'index "hi" 5', 'error calling index: index out of range: 5')],
  ['atoi of a word', '{{atoi "x"}}', at(2, 'atoi "x"', 'error calling atoi: strconv.Atoi: parsing "x": invalid syntax')],
  ['an error inside parentheses names the inner call', '{{print (atoi "x")}}', at(9, 'atoi "x"', 'error calling atoi: strconv.Atoi: parsing "x": invalid syntax')],
  ['division by zero', '{{div 1 0}}', at(2, 'div 1 0', 'error calling div: runtime error: integer divide by zero')],
  ['a pipeline stage that fails', '{{"x" | atoi}}', at(8, 'atoi', 'error calling atoi: strconv.Atoi: parsing "x": invalid syntax')],
  // Control structures.
  ['range over an int (Go 1.19)', '{{range 5}}x{{end}}', at(8, '5', "range can't iterate over 5")],
  ['range over a string', '{{range "abc"}}x{{end}}', at(8, '"abc"', "range can't iterate over abc")],
  ['range over a pair', '{{range get "/top"}}x{{end}}', at(12, '"/top"', "range can't iterate over {/top leaf}")],
  ['an undefined template', '{{template "nope"}}', at(11, '{{template "nope"}}', 'template "nope" not defined')],
];

describe('execution errors', () => {
  it.each(rows)('%s', (_name, template, expected) => expect(render(template)).toBe(expected));

  it('an error in a called template names that template, with the file and the line', () => {
    const text = 'line 1\nline 2\nline 3\n{{template "one" 5}}\n{{define "one"}}{{template "two" .}}{{end}}\n{{define "two"}}{{template "three" .}}{{end}}\n{{define "three"}}{{index "hi" $}}{{end}}';
    expect(render(text, { name: 'top' })).toBe('error: template: top:7:20: executing "three" at <index "hi" $>: error calling index: index out of range: 5');
  });

  it('columns count bytes, as Go does', () => {
    expect(render('é{{nil}}')).toBe(at(4, 'nil', 'nil is not a command'));
    expect(render('a\nbé{{nil}}')).toBe(at(5, 'nil', 'nil is not a command', 2));
  });

  it('endless recursion stops with Go\'s depth error', () => {
    expect(render('{{define "R"}}{{template "R"}}{{end}}{{template "R"}}')).toBe(
      'error: template: t:1:25: executing "R" at <{{template "R"}}>: exceeded maximum template depth (100000)',
    );
  });

  it('is a RenderError (exit 1) carrying Go\'s message', () => {
    const template = compileGoTemplate('app.tmpl', '{{index "hi" 5}}');
    expect(() => template.render(scopeFor())).toThrow(GoTemplateExecError);
    expect(() => template.render(scopeFor())).toThrow(RenderError);
    expect(() => template.render(scopeFor())).toThrow('template: app.tmpl:1:2: executing "app.tmpl" at <index "hi" 5>: error calling index: index out of range: 5');
  });
});
