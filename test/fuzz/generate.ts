// Fuzz inputs for keyplate: a confdir (resource TOML, templates, sometimes keyplate.toml), env values and flags,
// generated from a seed. Each input is one user's day off the happy path: wrong types, control characters, long
// names, large values, deep nesting, runaway loops, Go syntax, mutilated tags. Commands come from a fixed, harmless
// vocabulary, and destinations always stay inside the input's own directory (see FuzzCase.dests).

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzCase {
  id: number;
  /** Paths relative to the input's directory: `c/conf.d/*.toml`, `c/templates/*`, `c/keyplate.toml`, `dev.env`. */
  files: Record<string, string>;
  /** Variables beside PATH and HOME (the env backend reads keys from them). */
  env: Record<string, string>;
  /** After `--onetime --backend env --confdir <dir>/c`. */
  flags: string[];
  /** Breaks the rules on purpose (see Gen.hostile). */
  hostile: boolean;
}

class Gen {
  /** A hostile input breaks the rules too (wrong types, reads outside keys, bad syntax); a well-formed one only
   * pushes the values, names and sizes, so that half the inputs get as far as rendering and writing. */
  hostile = true;
  /** Leave out what makes an input slow on purpose (million-item loops, megabyte values): for the test suite. */
  quick = false;
  constructor(readonly r: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.r() * items.length)];
  }
  /** A name: usually plain, sometimes long, unicode (incl. above U+FFFF), control characters, dots, spaces. */
  name(): string {
    const kind = this.hostile ? this.int(0, 9) : this.int(0, 6);
    if (kind <= 4) return this.pick(['port', 'host', 'a', 'db', 'name', 'x1', 'upstream', 'j']);
    if (kind === 5) return 'n'.repeat(this.pick([100, 254, 255, 256, 300, 1000]));
    if (kind === 6) return this.pick(['Ａ', '😀', '\ue000', 'é', 'ä-b', 'a b', 'a.b', '..', '.', '-x', '__']);
    if (kind === 7) return `a${String.fromCharCode(this.pick([0, 1, 7, 9, 10, 13, 27, 127]))}b`;
    if (kind === 8) return this.pick(['*', '?', '[a-', '\\', '{{x}}', '"', "'", '%s', '$HOME']);
    return Array.from({ length: this.int(1, 12) }, () => String.fromCharCode(this.int(32, 126))).join('').replace(/\//g, '_');
  }
  key(): string {
    if (this.hostile && this.chance(0.1)) return `/other/${this.name()}`;
    if (this.hostile && this.chance(0.1)) return this.pick(['', '/', '//', '/app/', 'app', '/app//x', '/app/../x']);
    const depth = this.chance(0.05) ? this.int(20, 200) : this.int(1, 3);
    return `/app/${Array.from({ length: depth }, () => this.name()).join('/')}`;
  }
  /** A TOML basic string holding `text`, escaped as TOML requires (so control characters arrive as themselves). */
  toml(text: string): string {
    return JSON.stringify(text).replace(/\\u([0-9a-f]{4})/gi, '\\u$1');
  }
  value(): string {
    const kind = this.int(0, 9);
    if (kind <= 3) return this.pick(['80', '10.0.0.1', 'true', '', ' ', '-1', '3.5', 'x']);
    if (kind === 4) return JSON.stringify({ port: this.int(0, 70000), host: this.name(), nested: { a: [1, 2, { b: this.name() }] } });
    if (kind === 5) return this.pick(['[', '{"a":', '[1,2]', 'null', '"s"', '{"__proto__": {"x": 1}}', '{"constructor": 1}']);
    if (kind === 6) return 'v'.repeat(this.pick(this.quick ? [1000, 65536] : [1000, 65536, 1 << 20]));
    if (kind === 7) return `${'['.repeat(this.int(10, 5000))}${']'.repeat(this.int(10, 5000))}`;
    if (kind === 8) return `a\u0000b\u001b[31m\r\n{{getv "/x"}}`;
    return this.name();
  }
}

const helperCalls = [
  'toUpper', 'toLower', 'base', 'dir', 'split', 'join', 'contains', 'trimSuffix', 'replace', 'json', 'jsonArray', 'map',
  'getenv', 'datetime', 'fileExists', 'base64Encode', 'base64Decode', 'parseBool', 'reverse', 'sortByLength', 'seq',
  'atoi', 'add', 'sub', 'mul', 'div', 'mod', 'eq', 'ne', 'lt', 'and', 'or', 'not', 'len', 'printf', 'nosuchhelper',
];

function arg(g: Gen, depth: number): string {
  const kind = g.int(0, 7);
  if (kind === 0 && depth < 4) return `(${call(g, depth + 1)})`;
  if (kind === 1) return String(g.pick([0, 1, -1, 3, 1e6, 1e12, 2 ** 53, 0.5, -0]));
  if (kind === 2) return g.pick(g.hostile ? ['true', 'false', 'null', 'undefined', 'this', '@index', 'value', 'key', '../x', 'vaule'] : ['true', 'false', 'this', '../x']);
  if (kind === 3) return `(getv ${JSON.stringify(g.key())} ${JSON.stringify(g.value().slice(0, 20))})`;
  return JSON.stringify(g.chance(0.3) ? g.key() : g.name().slice(0, 40));
}

function call(g: Gen, depth: number): string {
  const helper = g.pick(g.hostile ? helperCalls : helperCalls.slice(0, -1));
  if (helper === 'printf') return `printf ${JSON.stringify(g.pick(['%s', '%d', '%v', '%q', '%%', '%x', '%s:%s', '%', '%-5s', '%*d']))} ${arg(g, depth)} ${arg(g, depth)}`;
  if (helper === 'seq') return `seq ${g.pick(['1', '0', '-5', '1000000', '1000000000000', '"3"', '"x"'])} ${g.pick(['1', '10', '1000000', '1000000000000', '-3'])}`;
  return `${helper} ${Array.from({ length: g.int(0, 3) }, () => arg(g, depth)).join(' ')}`;
}

/** One piece of template: text, a read, a helper call, or a block holding more pieces. */
function piece(g: Gen, depth: number): string {
  const kind = g.hostile ? g.int(0, 13) : g.pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11]);
  const k = JSON.stringify(g.key());
  const body = (): string => (depth < 6 ? Array.from({ length: g.int(0, 3) }, () => piece(g, depth + 1)).join('') : 'x');
  switch (kind) {
    case 0:
    case 1:
      return g.pick(g.hostile ? ['{', '}', '\\{{escaped}}', '\u0000', '{{x', 'x}}'] : ['text\n', 'a { b } c\n', 'é😀\n', '  ', '\t', 'port = ', '\u0001\u001b[0m']);
    case 2:
      return `{{getv ${k}}}`;
    case 3:
      return `{{getv ${k} ${JSON.stringify(g.name())}}}`;
    case 4:
      return `{{#each (gets ${JSON.stringify(`${g.key()}/*`)})}}{{key}}={{${g.pick(g.hostile ? ['value', 'Value', 'vaule', 'this.value', '@index'] : ['value', 'Value', 'this.value', '@index'])}}}\n${body()}{{/each}}`;
    case 5:
      return `{{#each (${g.pick(['getvs', 'ls', 'lsdir'])} ${k})}}{{this}}${body()}{{/each}}`;
    case 6:
      return `{{#if (exists ${k})}}${body()}{{else}}${body()}{{/if}}`;
    case 7:
      return `{{${call(g, 0)}}}`;
    case 8:
      return `{{#each (seq 1 ${g.pick(g.quick ? ['3', '100'] : g.hostile ? ['3', '1000', '1000', '1000', '1000', '1000000'] : ['3', '1000'])})}}${g.chance(0.5) ? '{{this}}' : ''}${body()}{{/each}}`;
    case 9:
      return `{{#with (json (getv ${k}))}}{{${g.pick(['port', 'host', 'nested.a', 'x', '@root'])}}}${body()}{{/with}}`;
    case 10:
      return g.pick(['{{range gets "/app/*"}}{{.Value}}{{end}}', '{{if exists "/a"}}x{{end}}', '{{.Key}}', '{"port": {{getv "/app/port"}}}', '{{$x := 1}}', '{{getv "/app/a" | toUpper}}']);
    case 11:
      return `{{getv (printf "/app/%s" ${JSON.stringify(g.name())})}}`;
    case 12:
      return depth < 2 && g.chance(0.2) ? `${'{{#if true}}'.repeat(g.int(90, 150))}${'{{/if}}'.repeat(g.int(90, 150))}` : `{{#unless (eq 1 1)}}${body()}{{/unless}}`;
    default:
      return g.pick([
        '{{> partial}}', '{{#> layout}}x{{/layout}}', '{{#*inline "p"}}x{{/inline}}', '{{* deco}}', '{{{{raw}}}} {{x}} {{{{/raw}}}}',
        '{{#each}}{{/each}}', '{{#with}}x{{/with}}', '{{#if}}x{{/if}}', '{{', '}}', '{{{getv "/app/x"}}}', '{{!-- c --}}', '{{! c}}',
        '{{else}}', '{{/if}}', '{{@foo}}', '{{log "x"}}', '{{lookup this "x"}}', '{{getv "/app/port" a=1}}', '{{~getv "/app/port"~}}',
        '{{#with (json (getv "/app/j"))}}{{constructor}}{{__proto__}}{{toString}}{{/with}}', '{{this.constructor.name}}',
        '{{#each (gets "/app/*") as |a b c|}}{{a.key}}{{c}}{{/each}}', '{{#each (json (getv "/app/j"))}}{{@key}}{{/each}}',
        '{{../x}}', '{{@root.x}}', '{{#unless}}{{/unless}}', '{{getv}}', '{{getv "/app/port" "d" "e"}}', '{{#getv "/app/port"}}x{{/getv}}',
      ]);
  }
}

/** Random edits that break syntax: dropped or doubled characters, stray braces and quotes. */
function mutate(g: Gen, text: string, edits: number): string {
  let s = text;
  for (let i = 0; i < edits && s.length > 0; i++) {
    const at = g.int(0, s.length - 1);
    const op = g.int(0, 2);
    if (op === 0) s = s.slice(0, at) + s.slice(at + 1);
    else if (op === 1) s = s.slice(0, at) + g.pick(['{', '}', '(', ')', '"', '#', '/', '[', ']', '=', '\n', '\u0000', ' ']) + s.slice(at);
    else s = s.slice(0, at) + s[at] + s.slice(at);
  }
  return s;
}

const commands = ['true', 'false', 'test -s {{src}}', 'cat {{src}} >/dev/null', 'exit 3', 'sleep 0.05', 'echo {{.src}}', 'printf %s {{ src }}', 'echo {{dest}}', 'echo "{{"', 'nosuchcommand-kp'];

/** One resource file: mostly well-formed, with fields of random (and often wrong) types and values. */
function resource(g: Gen, template: string, dest: string): string {
  const lines = ['[template]', `src = ${g.toml(template)}`];
  const keys = g.hostile ? Array.from({ length: g.int(0, 3) }, () => g.pick(['/app', '/app', '/', '/app/*', '/other', g.key()])) : ['/app'];
  const field = (name: string, value: string): void => {
    lines.push(`${name} = ${value}`);
  };
  field('keys', !g.hostile || g.chance(0.9) ? `[${keys.map((k) => g.toml(k)).join(', ')}]` : g.pick(['"/app"', '5', '[1]', '{}', '[[]]']));
  const optional: Array<[string, () => string]> = [
    ['mode', () => g.pick(['"0644"', '"644"', '644', '0o644', '"0999"', '{}', '1.5', '"rw"', '"4755"', '-1'])],
    ['uid', () => g.pick(['0', '1.5', '-1', '4294967295', '1e300', '"root"', '65534'])],
    ['gid', () => g.pick(['0', '1.5', '-1', '"x"', '65534'])],
    ['owner', () => g.pick(['"root"', '"nosuchuser-kp"', '5', `"${'u'.repeat(300)}"`])],
    ['prefix', () => g.toml(g.pick(['/app', '', '/', g.key(), 'svc']))],
    ['check_cmd', () => g.toml(g.chance(0.8) ? g.pick(commands) : mutate(g, g.pick(commands), 2))],
    ['reload_cmd', () => g.toml(g.chance(0.8) ? g.pick(commands) : mutate(g, g.pick(commands), 2))],
    ['check_timeout', () => g.pick(['"1ms"', '"30s"', 'true', '0', '-1', '"1000h"', '1e308', '"x"'])],
    ['reload_timeout', () => g.pick(['"10ms"', '"1s"', '{}', '"soon"'])],
    ['reload_signal', () => g.pick(['"SIGHUP"', '"hup"', '"SIGFOO"', '"SIG HUP"', '9', '""'])],
    ['restart', () => g.pick(['true', 'false', '"yes"', '1'])],
    ['wait', () => g.pick(['"1s"', '{ max = "1s" }', '{ min = "1s", max = "2s" }', '{ min = "2s", max = "1s" }', '{}', '5', '{ min = true }', '[1]'])],
    ['render_timeout', () => g.pick(['"1s"', '"50ms"', '0', '"x"'])],
    ['max_output', () => g.pick(['"1MiB"', '"10k"', '100', '"2GiB"', '"lots"', '0'])],
    ['bogus_field', () => '1'],
    ['"a(b[*.\\\\" ', () => '1'],
  ];
  if (g.hostile) {
    for (const [name, value] of optional) if (g.chance(0.12)) field(name, value());
  } else if (g.chance(0.3)) field(...g.pick([['max_output', '"1MiB"'], ['render_timeout', '"2s"'], ['check_cmd', '"test -s {{src}}"'], ['reload_cmd', '"true"'], ['mode', '"0600"']] as Array<[string, string]>));
  let text = lines.join('\n') + '\n';
  if (g.hostile && g.chance(0.1)) text = mutate(g, text, g.int(1, 4));
  if (g.hostile && g.chance(0.03)) text += `deep = ${'['.repeat(g.int(100, 3000))}${']'.repeat(g.int(100, 3000))}\n`;
  if (g.hostile && g.chance(0.03)) text += 'x = "unterminated\n';
  // The destination is written last and never mutated: it must stay inside the input's directory.
  return `${text}${text.includes('[template]') ? '' : '[template]\n'}dest = ${g.toml(dest)}\n`;
}

/** The whole input for index `id` of the run seeded with `seed`. */
export function generate(seed: number, id: number, quick = false): FuzzCase {
  const g = new Gen(rng((seed * 1_000_003 + id) >>> 0));
  g.quick = quick;
  g.hostile = g.chance(0.5);
  const files: Record<string, string> = {};
  const count = g.int(1, 3);
  for (let i = 0; i < count; i++) {
    const tmpl = g.hostile && g.chance(0.05) ? `${g.name().slice(0, 300)}.tmpl` : `t${i}.tmpl`;
    let template = Array.from({ length: g.int(1, 6) }, () => piece(g, 0)).join('');
    if (g.hostile && g.chance(0.15)) template = mutate(g, template, g.int(1, 5));
    if (!/[/\u0000]/.test(tmpl)) files[`c/templates/${tmpl}`] = template;
    const destName = g.chance(0.1) ? g.name().replace(/\//g, '_') : `r${i}.conf`;
    const dest = g.pick([`out/${destName}`, `out/${destName}`, `../${destName}`, `out/sub/${destName}`, 'out', `out/${destName}/`]);
    files[`c/conf.d/${g.chance(0.05) ? `sub/r${i}` : `r${i}`}.toml`] = resource(g, tmpl, dest);
  }
  if (g.hostile && g.chance(0.05)) {
    const setting = g.pick(['prefix = "/app"', 'log_level = "debug"', 'log_format = "json"', 'noop = true', 'noop = "x"', 'bogus = 1', 'prefix = 5', 'wait_timeout = "1s"']);
    files['c/keyplate.toml'] = `${setting}\n`;
  }
  const env: Record<string, string> = {};
  for (let i = 0, n = g.int(0, 6); i < n; i++) {
    const name = g.pick(['APP_PORT', 'APP_HOST', 'APP_A', 'APP_DB', 'APP_NAME', 'APP_J', 'APP_UPSTREAM', 'OTHER_X', 'APP_X1']);
    env[name] = g.value();
  }
  const flags: string[] = [];
  for (const [p, f] of [
    [0.1, ['--noop']],
    [0.05, ['--sync-only']],
    [0.1, ['--log-format', 'json']],
    [0.1, ['--log-level', g.pick(['debug', 'error', 'loud'])]],
    [0.1, ['--prefix', g.pick(['/', '/app', g.key(), ''])]],
    [0.03, ['--keep-stage-file']],
    [0.03, ['--bogus-flag']],
    [0.05, ['--env-file', g.pick(['dev.env', 'missing.env'])]],
  ] as Array<[number, string[]]>) {
    if (g.chance(p)) flags.push(...f);
  }
  if (flags.includes('--env-file')) files['dev.env'] = Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n');
  return { id, files, env, flags, hostile: g.hostile };
}
