// Each text/template construct, with the output Go 1.19 prints (cases from Go's exec_test.go and parse_test.go
// where they apply to confd's nil data; the rest from the text/template documentation).
import { describe, expect, it } from 'vitest';
import { render } from './harness.js';

type Row = [name: string, template: string, expected: string];

const table = (rows: Row[]): void => {
  it.each(rows)('%s', (_name, template, expected) => expect(render(template)).toBe(expected));
};

describe('text and trim markers', () => {
  table([
    ['text is copied verbatim', 'hello\n  world\t{{"!"}}\r\n', 'hello\n  world\t!\r\n'],
    ['{{- trims spaces, tabs, CR and newlines before', 'a \t\r\n{{- "b"}}', 'ab'],
    [' -}} trims them after', '{{"a" -}} \n\t b', 'ab'],
    ['both sides', 'x \r\n\t{{- 3 -}}\n\n\ty', 'x3y'],
    ['extra spaces inside the markers', 'x\n{{-  3   -}}\ny', 'x3y'],
    ['the documentation example', '{{23 -}} < {{- 45}}', '23<45'],
    ['{{-3}} is the number -3, not a trim', '{{-3}}', '-3'],
    ['trimming does not cross an action', 'a {{- "" -}} {{"b"}} c', 'ab c'],
  ]);
});

describe('comments', () => {
  table([
    ['a comment prints nothing', 'a{{/* comment */}}b', 'ab'],
    ['over several lines', 'a{{/*\n x "}}" \n*/}}b', 'ab'],
    ['with trim markers', 'a \n{{- /* c */ -}}\n b', 'ab'],
    ['right trim only', '{{/* hi */ -}}\n\n\ty', 'y'],
    ['left trim only', 'x \r\n\t{{- /* hi */}}', 'x'],
  ]);
});

describe('literals', () => {
  table([
    ['interpreted strings with escapes', '{{"a\\tb\\u00e9\\x41\\101\\\\\\""}}', 'a\tbéAA\\"'],
    ['raw strings keep backslashes', '{{`a\\nb`}}', 'a\\nb'],
    ['raw strings may span lines and drop CR', '{{`a\r\nb`}}', 'a\nb'],
    ['integers in every base, with underscores', '{{1}} {{-7}} {{0x1F}} {{0o17}} {{017}} {{0b101}} {{1_000}} {{0x_1F}}', '1 -7 31 15 15 5 1000 31'],
    ['floats print like fmt %v', '{{1.5}} {{1.0}} {{1e3}} {{1e21}} {{1e-5}} {{0.000123}} {{123456789.0}} {{-0.0}}', '1.5 1 1000 1e+21 1e-05 0.000123 1.23456789e+08 -0'],
    ['hexadecimal floats', '{{0x1p-2}} {{0x1.8p1}}', '0.25 3'],
    ['character constants are integers', "{{'a'}} {{'\\n'}} {{'\\x41'}} {{'é'}}", '97 10 65 233'],
    ['imaginary and complex numbers', '{{1+2i}} {{2i}} {{1.5i}}', '(1+2i) (0+2i) (0+1.5i)'],
    ['booleans', '{{true}} {{false}}', 'true false'],
    ['the type a literal takes without context', "{{printf \"%T %T %T %T %T %T %T\" 1 1.5 1e2 \"s\" true 1i 'x'}}", 'int float64 float64 string bool complex128 int'],
    ['hexadecimal with e or E is still an int', '{{printf "%T %T %T" 0xef 0xEE 0Xef}}', 'int int int'],
  ]);
});

describe('pipelines and parentheses', () => {
  table([
    ['the value passes as the last argument', '{{"output" | printf "%q"}}', '"output"'],
    ['a longer chain', '{{"put" | printf "%s%s" "out" | printf "%q"}}', '"output"'],
    ['a parenthesised argument', '{{printf "%q" (print "out" "put")}}', '"output"'],
    ['parentheses in arguments and pipelines', '{{printf "%d %d %d" (1) (2 | add 3) (add 4 (add 5 6))}}', '1 5 15'],
    ['a field of a parenthesised value', '{{(json `{"a":{"b":"c"}}`).a.b}}', 'c'],
    ['a field of a function result', '{{(map "k" "v").k}}', 'v'],
    ['newlines inside an action', '{{ $x \n := \n 1 \n }}{{$x}}', '1'],
    ['newlines around pipes', '{{\n"x"\n|\nprintf\n}}', 'x'],
  ]);
});

describe('variables', () => {
  table([
    ['a declaration prints nothing', '{{$x := "v"}}[{{$x}}]', '[v]'],
    ['assignment', '{{$x := 1}}{{$x = 2}}{{$x}}', '2'],
    ['$ is the data: nil in confd', '{{$}}|{{.}}', '<no value>|<no value>'],
    ['visible in nested blocks', '{{if $x := true}}{{with $y := 17}}{{$x}},{{$y}}{{end}}{{end}}', 'true,17'],
    ['an inner declaration shadows until its end', '{{if $x := true}}{{with $x := 17}}{{$x}},{{end}}{{$x}}{{end}}', '17,true'],
    ['assignment in a block changes the outer variable', '{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
    ['a declaration in a block ends with it', '{{$x := 1}}{{if true}}{{$x := 2}}{{$x}}{{end}}{{$x}}', '21'],
    ['declared in a range body, each iteration', '{{range $x := split "a,b" ","}}<{{$foo := $x}}{{$foo}}>{{end}}', '<a><b>'],
    ['range assigning existing variables', '{{$i := 0}}{{$e := ""}}{{range $i, $e = split "a,b" ","}}{{end}}{{$i}}{{$e}}', '1b'],
    ['a called template sees only its own $', '{{define "T"}}{{$}}{{end}}{{$x := 1}}{{template "T" "d"}}', 'd'],
    ['variables declared in a template call persist', '{{define "T"}}{{.}}{{end}}{{template "T" $x := "v"}}-{{$x}}', 'v-v'],
  ]);
});

describe('if, else if, else', () => {
  table([
    ['if true', '{{if true}}TRUE{{end}}', 'TRUE'],
    ['if false with else', '{{if false}}TRUE{{else}}FALSE{{end}}', 'FALSE'],
    ['if 1', '{{if 1}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['if 0', '{{if 0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['if 1.5', '{{if 1.5}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['if 0.0', '{{if 0.0}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['if 1.5i', '{{if 1.5i}}NON-ZERO{{else}}ZERO{{end}}', 'NON-ZERO'],
    ['if 0i', '{{if 0i}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['if an empty string', '{{if ``}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
    ['if a string', '{{if `notempty`}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY'],
    ['if an empty list', '{{if ls "/nope"}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
    ['if a list', '{{if split "" ","}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY'],
    ['if an empty map', '{{if json `{}`}}NON-EMPTY{{else}}EMPTY{{end}}', 'EMPTY'],
    ['if a map', '{{if json `{"a":0}`}}NON-EMPTY{{else}}EMPTY{{end}}', 'NON-EMPTY'],
    ['if a missing map key', '{{if (json `{}`).none}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['if a JSON null', '{{if (json `{"n":null}`).n}}NON-ZERO{{else}}ZERO{{end}}', 'ZERO'],
    ['if a key/value pair (structs are true)', '{{if get "/top"}}TRUE{{end}}', 'TRUE'],
    ['if nil data', '{{if .}}non-nil{{else}}nil{{end}}', 'nil'],
    ['else if', '{{if false}}FALSE{{else if true}}TRUE{{end}}', 'TRUE'],
    ['an else-if chain', '{{if eq 1 3}}1{{else if eq 2 3}}2{{else if eq 3 3}}3{{end}}', '3'],
    ['the final else of a chain', '{{if false}}1{{else if false}}2{{else}}3{{end}}', '3'],
    ['variables of the if are seen in its else', '{{if $x := ""}}a{{else}}[{{$x}}]{{end}}', '[]'],
  ]);
});

describe('range', () => {
  table([
    ['over a list', '{{range split "a,b,c" ","}}-{{.}}-{{end}}', '-a--b--c-'],
    ['an empty list, no else', '{{range ls "/nope"}}-{{.}}-{{end}}', ''],
    ['a list with else', '{{range split "a" ","}}-{{.}}-{{else}}EMPTY{{end}}', '-a-'],
    ['an empty list with else', '{{range ls "/nope"}}-{{.}}-{{else}}EMPTY{{end}}', 'EMPTY'],
    ['nil is empty', '{{range .}}-{{.}}-{{else}}EMPTY{{end}}', 'EMPTY'],
    ['one variable gets the element', '{{range $x := split "a,b" ","}}<{{$x}}>{{end}}', '<a><b>'],
    ['two variables get index and element', '{{range $i, $x := split "a,b" ","}}<{{$i}}={{$x}}>{{end}}', '<0=a><1=b>'],
    ['a map, in sorted key order', '{{range json `{"b":2,"a":1,"c":3}`}}-{{.}}-{{end}}', '-1--2--3-'],
    ['a map with key and value', '{{range $k, $v := json `{"b":2,"a":1}`}}<{{$k}}={{$v}}>{{end}}', '<a=1><b=2>'],
    ['map keys sort by bytes', '{{range $k, $v := json `{"b":1,"B":1,"a":1,"é":1,"_":1}`}}{{$k}} {{end}}', 'B _ a b é '],
    ['an empty map with else', '{{range json `{}`}}x{{else}}EMPTY{{end}}', 'EMPTY'],
    ['JSON null elements are no value', '{{range (json `{"l":[1,null]}`).l}}[{{.}}]{{end}}', '[1][<no value>]'],
    ['break', '{{range split "1,2,3,4" ","}}{{if eq . "3"}}{{break}}{{end}}-{{.}}-{{end}}', '-1--2-'],
    ['break at once', '{{range split "1,2" ","}}{{break}}{{.}}{{end}}', ''],
    ['continue', '{{range split "1,2,3" ","}}{{if eq . "2"}}{{continue}}{{end}}-{{.}}-{{end}}', '-1--3-'],
    ['break leaves only the innermost range', '{{range split "a,b" ","}}{{range split "1,2" ","}}{{break}}{{end}}{{.}}{{end}}', 'ab'],
    ['a range over key/value pairs', '{{range gets "/upstream/*"}}{{base .Key}}={{.Value}};{{end}}', 'a=10.0.0.11:80;b=10.0.0.12:80;c=10.0.0.10:80;'],
    ['$ inside a range is still the data', '{{range split "a" ","}}{{$}}{{end}}', '<no value>'],
  ]);
});

describe('with', () => {
  table([
    ['with true', '{{with true}}{{.}}{{end}}', 'true'],
    ['with false', '{{with false}}{{.}}{{else}}FALSE{{end}}', 'FALSE'],
    ['with 1', '{{with 1}}{{.}}{{else}}ZERO{{end}}', '1'],
    ['with 0', '{{with 0}}{{.}}{{else}}ZERO{{end}}', 'ZERO'],
    ['with 1.5', '{{with 1.5}}{{.}}{{else}}ZERO{{end}}', '1.5'],
    ['with 1.5i', '{{with 1.5i}}{{.}}{{else}}ZERO{{end}}', '(0+1.5i)'],
    ['with an empty string', '{{with ``}}{{.}}{{else}}EMPTY{{end}}', 'EMPTY'],
    ['with a string', '{{with `notempty`}}{{.}}{{else}}EMPTY{{end}}', 'notempty'],
    ['with a list', '{{with split "3,4,5" ","}}{{.}}{{else}}EMPTY{{end}}', '[3 4 5]'],
    ['with a map', '{{with json `{"one":1}`}}{{.}}{{else}}EMPTY{{end}}', 'map[one:1]'],
    ['with a variable', '{{with $x := getv "/app/name"}}{{$x}}/{{.}}{{end}}', 'shop/shop'],
    ['the else keeps dot', '{{with ""}}x{{else}}{{.}}{{end}}', '<no value>'],
    ['nested with, a missing field of the inner dot', '{{with get "/db/host"}}{{with json `{"a":1}`}}{{.x}}{{end}}{{end}}', '<no value>'],
  ]);
});

describe('define, template and block', () => {
  table([
    ['a definition prints nothing where it stands', 'a{{define "T"}}x{{end}}b', 'ab'],
    ['template with and without data', '{{define "T"}}[{{.}}]{{end}}{{template "T" "a"}}{{template "T"}}', '[a][<no value>]'],
    ['called before its definition', '{{template "T" 1}}{{define "T"}}<{{.}}>{{end}}', '<1>'],
    ['block defines and runs in place', 'a({{block "inner" "hello"}}bar({{.}})baz{{end}})b', 'a(bar(hello)baz)b'],
    ['recursion', '{{define "R"}}{{if .}}{{index . 0}}{{template "R" (slice . 1)}}{{end}}{{end}}{{template "R" (split "a,b,c" ",")}}', 'abc'],
    ['an empty definition may be redefined', '{{define "T"}} {{end}}{{define "T"}}x{{end}}{{template "T"}}', 'x'],
    ['define with a raw-string name', '{{define `T`}}t{{end}}{{template `T`}}', 't'],
  ]);
});

describe('fields and printing', () => {
  table([
    ['a field of a map', '{{(json (getv "/json/obj")).host}}', 'h'],
    ['chained fields on a variable', '{{$d := json (getv "/json/obj")}}{{$d.nested.x}}', 'y'],
    ['a missing key and a JSON null print <no value>', '{{$d := json (getv "/json/obj")}}{{$d.nope}} {{$d.none}} {{$d.nope.deeper}}', '<no value> <no value> <no value>'],
    ['fields of nil data', '{{.Foo}} {{.Foo.Bar}}', '<no value> <no value>'],
    ['Key and Value of a pair', '{{with get "/db/host"}}{{.Key}}={{.Value}}{{end}}', '/db/host=10.0.0.1'],
    ['memkv.KVPair has a Depth method', '{{(get "/deep/er/key").Depth}} {{(get "/top").Depth}}', '3 1'],
    ['a pair prints as a struct', '{{get "/db/host"}}', '{/db/host 10.0.0.1}'],
    ['a list', '{{split "a,b" ","}}', '[a b]'],
    ['pairs', '{{gets "/upstream/*"}}', '[{/upstream/a 10.0.0.11:80} {/upstream/b 10.0.0.12:80} {/upstream/c 10.0.0.10:80}]'],
    ['a map, sorted', '{{json `{"b":2,"a":"x"}`}}', 'map[a:x b:2]'],
    ['JSON numbers are float64', '{{$d := json (getv "/json/obj")}}{{$d.port}} {{$d.ratio}} {{$d.big}} {{$d.tiny}} {{$d.on}}', '8080 1.5 1e+21 1e-05 true'],
    ['a JSON list with a null', '{{(json (getv "/json/obj")).list}}', '[a 2 <nil>]'],
    ['a JSON object with a null', '{{json `{"n":null,"m":{"k":[]}}`}}', 'map[m:map[k:[]] n:<nil>]'],
    ['empty and nil lists', '{{ls "/nope"}} {{seq 2 1}} {{json `null`}} {{jsonArray `null`}}', '[] [] map[] []'],
    ['a byte from indexing a string', '{{index "abc" 0}}', '97'],
    ['large JSON integers print in exponent form', '{{(json `{"n":1048576}`).n}} {{(json `{"n":123456}`).n}}', '1.048576e+06 123456'],
  ]);
});
