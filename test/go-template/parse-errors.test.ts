// Templates that do not parse: Go 1.19's message, `template: NAME:LINE: …`, with the line Go reports (cases from
// Go's parse_test.go errorTests and parseTests, and the lexer's errors).
import { describe, expect, it } from 'vitest';
import { GoTemplateSyntaxError, compileGoTemplate } from '../../src/template/go/index.js';
import { ConfigError } from '../../src/errors.js';

const rows: Array<[name: string, template: string, message: string]> = [
  // Line numbers, and where an unclosed action started.
  ['unclosed action', 'line1\n{{', 'template: t:2: unclosed action'],
  ['unclosed action after a definition', 'line1\n{{define `x`}}line2\n{{', 'template: t:3: unclosed action'],
  ['unclosed action over lines', 'line1\n{{"x"\n"y"\n', 'template: t:4: unclosed action started at t:2'],
  ['unclosed action at the start', '{{\n\n\n\n\n', 'template: t:6: unclosed action started at t:1'],
  ['an unknown function, on its line', 'line1\n{{\nx\n}}', 'template: t:3: function "x" not defined'],
  ['an unknown function', '{{foo}}', 'template: t:1: function "foo" not defined'],
  ['a raw string spanning lines counts them', '{{ $v := `\n` }} {{', 'template: t:2: unclosed action'],
  // Lexer errors.
  ['unclosed comment', '{{/*}}', 'template: t:1: unclosed comment'],
  ['unclosed comment over lines', '{{/*\nhello\n}}', 'template: t:1: unclosed comment'],
  ['comment not at the delimiters', '{{/* c */ x}}', 'template: t:1: comment ends before closing delimiter'],
  ['a space before a comment makes it no comment', '{{ /* c */ }}', 'template: t:1: unexpected "/" in command'],
  ['unclosed left paren', '{{.X (1 2 3}}', 'template: t:1: unclosed left paren'],
  ['a stray right paren', '{{.X 1 2 3 ) }}', 'template: t:1: unexpected ")" in command'],
  ['unclosed action inside parentheses', '{{(.X 1 2 3', 'template: t:1: unclosed action'],
  ['a bad character after a name', '{{a#}}', "template: t:1: bad character U+0023 '#'"],
  ['a bad character after a variable', '{{$x:=.}}{{$x!2}}', "template: t:1: bad character U+0021 '!'"],
  ['no arithmetic', '{{$x:=.}}{{$x+2}}', "template: t:1: bad character U+002B '+'"],
  ['an unrecognized character', '{{§}}', "template: t:1: unrecognized character in action: U+00A7 '§'"],
  ['unterminated character constant', "{{'a}}", 'template: t:1: unterminated character constant'],
  ['unterminated quoted string', '{{"a}}', 'template: t:1: unterminated quoted string'],
  ['unterminated raw string', '{{`a}}', 'template: t:1: unterminated raw quoted string'],
  ['a bad number', '{{3x}}', 'template: t:1: bad number syntax: "3x"'],
  ['expected :=', '{{$x := 0}}{{$x : 1}}', 'template: t:1: expected :='],
  // Parser errors.
  ['an empty action', '{{}}', 'template: t:1: missing value for command'],
  ['an empty action over a newline', '{{\n}}', 'template: t:2: missing value for command'],
  ['unmatched end', '{{end}}', 'template: t:1: unexpected {{end}}'],
  ['unmatched else', '{{else}}', 'template: t:1: unexpected {{else}}'],
  ['else after the end', '{{if true}}hello{{end}}{{else}}', 'template: t:1: unexpected {{else}}'],
  ['two elses', '{{if true}}1{{else}}2{{else}}3{{end}}', 'template: t:1: expected end; found {{else}}'],
  ['missing end', 'hello{{range .x}}', 'template: t:1: unexpected EOF'],
  ['missing end after else', 'hello{{range .x}}{{else}}', 'template: t:1: unexpected EOF'],
  ['an extra end after else if', '{{if .X}}a{{else if .Y}}b{{end}}{{end}}', 'template: t:1: unexpected {{end}}'],
  ['else if is only for if', '{{with .X}}a{{else if .Y}}b{{end}}', 'template: t:1: unexpected <if> in input'],
  ['an undefined variable', '{{$x}}', 'template: t:1: undefined variable "$x"'],
  ['a variable is gone after its end', '{{with $x := 4}}{{end}}{{$x}}', 'template: t:1: undefined variable "$x"'],
  ['defined templates do not see outer variables', '{{$x := 1}}{{define "T"}}{{$x}}{{end}}', 'template: t:1: undefined variable "$x"'],
  ['a template name must be a string', '{{template $v}}', 'template: t:1: unexpected "$v" in template clause'],
  ['not a field either', '{{template .X}}', 'template: t:1: unexpected ".X" in template clause'],
  ['a define name must be a string', '{{define a}}x{{end}}', 'template: t:1: unexpected "a" in define clause'],
  ['define needs its end', '{{define "a"}}x', 'template: t:1: unexpected EOF'],
  ['a declaration with a field', '{{with $x.Y := 4}}{{end}}', 'template: t:1: undefined variable "$x"'],
  ['unexpected := in an operand', '{{$x := 23}}{{with $x.y := 3}}{{$x 23}}{{end}}', 'template: t:1: unexpected ":=" in operand'],
  ['punctuation', '{{printf 3, 4}}', 'template: t:1: unexpected "," in operand'],
  ['two declarations outside range', '{{with $v, $u := 3}}{{end}}', 'template: t:1: too many declarations in with'],
  ['too many declarations', '{{$a,$b,$c := 23}}', 'template: t:1: too many declarations in command'],
  ['three range variables', '{{range $u, $v, $w := 3}}{{end}}', 'template: t:1: too many declarations in range'],
  ['range variable not declared', '{{range $k}}{{end}}', 'template: t:1: undefined variable "$k"'],
  ['range variables not declared', '{{range $k, $v}}{{end}}', 'template: t:1: undefined variable "$v"'],
  ['range with nothing to range over', '{{range $k,}}{{end}}', 'template: t:1: missing value for range'],
  ['range declaration with no value', '{{range $k, $v := }}{{end}}', 'template: t:1: missing value for range'],
  ['range can only initialize variables', '{{range $k, .}}{{end}}', 'template: t:1: range can only initialize variables'],
  ['range can only initialize variables (2)', '{{range $k, 123 := .}}{{end}}', 'template: t:1: range can only initialize variables'],
  ['dot after parentheses', '{{printf (printf .).}}', 'template: t:1: unexpected <.> in operand'],
  ['adjacent arguments', '{{printf 3`x`}}', 'template: t:1: unexpected "`x`" in operand'],
  ['a long token is cut in the message', '{{printf 3"abcdefghijklmnop"}}', 'template: t:1: unexpected "\\"abcdefghi"... in operand'],
  ['a field after a number', '{{0.1.E}}', 'template: t:1: unexpected . after term "0.1"'],
  ['a field after a bool', '{{true.any}}', 'template: t:1: unexpected . after term "true"'],
  ['a field after a char', "{{'a'.any}}", 'template: t:1: unexpected . after term "\'a\'"'],
  ['a field after a string', '{{"hello".guys}}', 'template: t:1: unexpected . after term "\\"hello\\""'],
  ['a field after dot', '{{..E}}', 'template: t:1: unexpected . after term "."'],
  ['a field after nil', '{{nil.E}}', 'template: t:1: unexpected . after term "nil"'],
  ['a literal later in a pipeline', '{{12|false}}', 'template: t:1: non executable command in pipeline stage 2'],
  ['dot later in a pipeline', '{{12|.}}', 'template: t:1: non executable command in pipeline stage 2'],
  ['a string in stage 3', '{{.|printf|"error"}}', 'template: t:1: non executable command in pipeline stage 3'],
  ['empty parentheses', '{{ ( ) }}', 'template: t:1: missing value for parenthesized pipeline'],
  ['block needs a pipeline', '{{block "foo"}}hello{{end}}', 'template: t:1: missing value for block clause'],
  ['break outside range', '{{range .}}{{end}} {{break}}', 'template: t:1: {{break}} outside {{range}}'],
  ['continue outside range', '{{range .}}{{end}} {{continue}}', 'template: t:1: {{continue}} outside {{range}}'],
  ['break in the else of a range', '{{range .}}{{else}}{{break}}{{end}}', 'template: t:1: {{break}} outside {{range}}'],
  ['break takes nothing', '{{range .}}{{break 20}}{{end}}', 'template: t:1: unexpected "20" in {{break}}'],
  ['two definitions of one name', '{{define `a`}}a{{end}}{{define `a`}}b{{end}}', 'template: t:1: template: multiple definition of template "a"'],
  // Literals the parser rejects.
  ['a bad escape in a string', '{{"\\q"}}', 'template: t:1: invalid syntax'],
  ['an integer too large for 64 bits', '{{18446744073709551616}}', 'template: t:1: integer overflow: "18446744073709551616"'],
  ['a malformed number', '{{1.E}}', 'template: t:1: illegal number syntax: "1.E"'],
  ['an imaginary hex', '{{0xi}}', 'template: t:1: illegal number syntax: "0xi"'],
  ['a malformed character constant', "{{'ab'}}", "template: t:1: malformed character constant: 'ab'"],
  ['misplaced underscores', '{{1__0}}', 'template: t:1: illegal number syntax: "1__0"'],
];

describe('parse errors', () => {
  it.each(rows)('%s', (_name, template, message) => {
    let error: unknown;
    try {
      compileGoTemplate('t', template);
    } catch (e) {
      error = e;
    }
    expect(error, 'a GoTemplateSyntaxError').toBeInstanceOf(GoTemplateSyntaxError);
    expect(error, 'a ConfigError: exit 2, nothing written').toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(message);
  });

  it('absurdly deep parentheses are a parse error, not a stack overflow', () => {
    const deep = `{{${'('.repeat(20000)}1${')'.repeat(20000)}}}`;
    expect(() => compileGoTemplate('t', deep)).toThrow(/^template: t:?.*max expression depth exceeded/);
  });

  it('the template name in the message is the file name confd gives it', () => {
    expect(() => compileGoTemplate('haproxy.cfg.tmpl', 'a\n{{if}}')).toThrow('template: haproxy.cfg.tmpl:2: missing value for if');
  });
});
