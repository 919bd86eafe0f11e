// Template resources: conf.d/**/*.toml → validated Resource objects (confd-compatible, strict about typos).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { joinKey } from '../keys/paths.js';
import { parseDuration } from '../config/duration.js';
import { ConfigError, describe } from '../errors.js';
import { engineField } from './engine-field.js';
import { lookupGroup, lookupUser } from './owners.js';
import { parseFilesCached, readValidated, saveValidated } from './resource-cache.js';
import { parseToml, tomlErrorLocation } from '../config/toml.js';

/** How long changes may be held back before a render (consul-template's `wait`): --wait-min/--wait-max, or `wait`. */
export interface Quiescence {
  minMs: number;
  maxMs: number;
}

/** One template resource: a conf.d TOML file, validated, with its paths resolved and its keys made absolute. */
export interface Resource {
  /** The TOML file relative to conf.d, e.g. `nginx.toml`: how logs and errors name the resource. */
  name: string;
  file: string;
  /** Template path relative to <confdir>/templates, and its absolute path. */
  srcName: string;
  src: string;
  dest: string;
  /** Absolute key prefixes (global prefix + resource prefix + key): what is fetched and watched. */
  keys: string[];
  /** Absolute prefix templates' keys are relative to. */
  prefix: string;
  mode?: number;
  uid?: number;
  gid?: number;
  checkCmd?: string;
  reloadCmd?: string;
  /** check_timeout and reload_timeout, in ms. */
  checkTimeoutMs: number;
  reloadTimeoutMs: number;
  /** Signal sent to the supervised command when this resource changes (instead of reload_cmd). */
  reloadSignal?: string;
  /** Restart the supervised command when this resource changes. */
  restart: boolean;
  /** Per-resource quiescence; overrides --wait-min/--wait-max. */
  wait?: Quiescence;
  /** The template language `src` is written in, when the resource says (else template_engine, else detection). */
  engine?: 'go' | 'handlebars';
}

const fields = new Set([
  'src', 'dest', 'keys', 'prefix', 'mode', 'owner', 'group', 'uid', 'gid',
  'check_cmd', 'reload_cmd', 'check_timeout', 'reload_timeout', 'reload_signal', 'restart', 'wait', 'engine',
]);

export interface LoadResourcesOptions {
  confdir: string;
  /** Global --prefix. */
  prefix: string;
  /** Memo of template paths already checked (many resources often share one template). */
  templateExists?: Map<string, boolean>;
  /** keyplate's cache directory (parsed resource files); undefined disables it. */
  cacheDir?: string;
}

/** fs options as constants: given as a string, Node copies a fresh options object on every call. */
const utf8 = { encoding: 'utf8' } as const;

/** Every *.toml under conf.d, sorted, so errors and renders come in a stable order. */
function listResourceFiles(confdir: string): string[] {
  const dir = join(confdir, 'conf.d');
  if (!existsSync(dir)) {
    throw new ConfigError(`${dir}: no conf.d directory; create it with one TOML file per template resource, or point --confdir at your confdir`);
  }
  const files: string[] = [];
  // d_type from readdir, no stat per entry (Node's recursive readdir costs several ms for 100 files).
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = `${d}/${entry.name}`;
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.toml') && (entry.isFile() || entry.isSymbolicLink())) files.push(full);
    }
  };
  walk(dir);
  return files.sort();
}

/** Load and validate every resource; all problems are reported together, and nothing is written when any exists. */
export function loadResources({ confdir, prefix, cacheDir }: LoadResourcesOptions): Resource[] {
  const files = listResourceFiles(confdir);
  const input = { confdir, prefix, files, texts: files.map((file) => readFileSync(file, utf8)) };
  const templateExists = new Map<string, boolean>();
  const cached = readValidated<Resource>(cacheDir, input);
  if (cached?.every((r) => isTemplateFile(r.src, templateExists))) return cached;

  const resources: Resource[] = [];
  const problems: string[] = [];
  const docs = parseFilesCached(cacheDir, files, input.texts, (file, text) => {
    try {
      return parseResourceToml(file, text);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(error.message);
      return undefined;
    }
  });
  files.forEach((file, i) => {
    if (!docs[i]) return;
    try {
      resources.push(resourceFromDoc(file, docs[i]!, { confdir, prefix, templateExists }));
    } catch (error) {
      if (error instanceof ConfigError) problems.push(error.message);
      else throw error;
    }
  });
  const byDest = new Map<string, Resource>();
  for (const r of resources) {
    const other = byDest.get(r.dest);
    if (other) problems.push(`${r.file}: dest ${r.dest} is also written by ${other.file}; two resources cannot own one file`);
    else byDest.set(r.dest, r);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  // Owner and group names resolve through /etc/passwd and /etc/group, which can change: not cached.
  const byName = docs.some((d) => {
    const t = d?.template as Record<string, unknown> | undefined;
    return t?.owner !== undefined || t?.group !== undefined;
  });
  if (!byName) saveValidated(cacheDir, input, resources);
  return resources;
}

/** The template file exists (memoized: many resources often share one template). */
function isTemplateFile(src: string, memo: Map<string, boolean>): boolean {
  let exists = memo.get(src);
  if (exists === undefined) {
    exists = existsSync(src) && statSync(src).isFile();
    memo.set(src, exists);
  }
  return exists;
}

/** No `.`/`..` segments, doubled or trailing slashes: such a path needs no normalising. */
function isClean(p: string): boolean {
  return !/(^|\/)\.\.?(\/|$)|\/\/|\/$/.test(p);
}

/** path.join for the common case without the cost (path.join in a cold process is ~30 µs a call). */
function joinUnder(dir: string, rel: string): string {
  return isClean(rel) && !rel.startsWith('/') ? `${dir}/${rel}` : join(dir, rel);
}

/** resolve(confdir, dest), without its cost for the usual shapes (an absolute clean path, or a clean relative one). */
function resolveDest(confdir: string, dest: string): string {
  if (dest.startsWith('/')) return isClean(dest) ? dest : resolve(dest);
  return confdir.startsWith('/') && isClean(confdir) && isClean(dest) ? `${confdir === '/' ? '' : confdir}/${dest}` : resolve(confdir, dest);
}

/** A resource file's TOML; a ConfigError naming file:line:column (with a hint for an unquoted mode). */
function parseResourceToml(file: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    const hint = /mode\s*=\s*0\d/.test(text) ? ' (write the mode as a string: mode = "0644")' : '';
    throw new ConfigError(`${file}${tomlErrorLocation(error)}: invalid TOML: ${(error as Error).message.split('\n')[0]}${hint}`, { cause: error });
  }
}

/** Parse and validate one resource file's text (tests and tools; a start uses loadResources). */
export function parseResource(file: string, text: string, options: LoadResourcesOptions): Resource {
  return resourceFromDoc(file, parseResourceToml(file, text), options);
}

/** Typed reads of a [template] table's fields; each error names the file and the field and quotes the value. */
class TemplateFields {
  constructor(
    readonly file: string,
    private readonly t: Record<string, unknown>,
  ) {}

  engine(): 'go' | 'handlebars' | undefined {
    return engineField(this.file, this.t.engine);
  }

  string(k: string): string | undefined {
    const v = this.t[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new ConfigError(`${this.file}: ${k} must be a string, got ${describe(v)}`);
    return v;
  }

  /** A duration in ms (`"30s"`, or a number of seconds); `fallback` when absent. */
  duration(k: string, fallback: number): number {
    const v = this.t[k];
    if (v === undefined) return fallback;
    const ms = typeof v === 'string' || typeof v === 'number' ? parseDuration(v) : undefined;
    if (ms === undefined || ms <= 0) throw new ConfigError(`${this.file}: ${k} must be a duration such as "30s", got ${describe(v)}`);
    return ms;
  }

  /** `keys`, each joined under `prefix` (confd fork semantics: global prefix + resource prefix + key). */
  keys(prefix: string): string[] {
    const raw = this.t.keys ?? [];
    if (!Array.isArray(raw) || !raw.every((k) => typeof k === 'string')) {
      throw new ConfigError(`${this.file}: keys must be a list of strings such as ["/database"], got ${describe(raw)}`);
    }
    return raw.map((k) => joinKey(prefix, k));
  }

  /** `mode`, always octal: "644" means 0644. */
  mode(): number | undefined {
    const v = this.t.mode;
    if (v === undefined) return undefined;
    const text = String(v);
    if ((typeof v !== 'string' && typeof v !== 'number') || !/^0?[0-7]{1,4}$/.test(text)) {
      throw new ConfigError(`${this.file}: mode must be an octal string such as "0644", got ${describe(v)}`);
    }
    return parseInt(text, 8);
  }

  /** `uid`/`gid`, else the id of `owner`/`group` (uid and gid win over the names). */
  id(k: 'uid' | 'gid'): number | undefined {
    const [field, lookup, what, table] = k === 'uid' ? (['owner', lookupUser, 'user', '/etc/passwd'] as const) : (['group', lookupGroup, 'group', '/etc/group'] as const);
    const name = this.string(field); // checked even when the id is given: a mistyped name is still a mistake
    const v = this.t[k];
    if (v !== undefined) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(`${this.file}: ${k} must be a non-negative integer, got ${describe(v)}`);
      return v;
    }
    if (name === undefined) return undefined;
    const id = lookup(name);
    if (id === undefined) throw new ConfigError(`${this.file}: ${field} \`${name}\` is not a ${what} on this system; use a name from ${table} or set ${k}`);
    return id;
  }

  /** `wait`: a duration (max is four times it) or { min, max }. */
  wait(): Quiescence | undefined {
    const v = this.t.wait;
    if (v === undefined) return undefined;
    const w = v as Record<string, unknown>;
    const min = typeof w === 'object' && w ? parseDuration(w.min as string) : parseDuration(v as string);
    const max = typeof w === 'object' && w ? parseDuration((w.max ?? w.min) as string) : min !== undefined ? min * 4 : undefined;
    if (min === undefined || max === undefined || min > max) {
      throw new ConfigError(`${this.file}: wait must be a duration or { min = "50ms", max = "1s" } with min <= max, got ${describe(v)}`);
    }
    return { minMs: min, maxMs: max };
  }

  restart(): boolean {
    const restart = this.t.restart ?? false;
    if (typeof restart !== 'boolean') throw new ConfigError(`${this.file}: restart must be true or false, got ${describe(restart)}`);
    return restart;
  }

  /** `reload_signal` as `SIGNAME`. */
  reloadSignal(): string | undefined {
    const signal = this.string('reload_signal');
    if (signal === undefined) return undefined;
    if (!/^(SIG)?[A-Z0-9]+$/i.test(signal)) throw new ConfigError(`${this.file}: reload_signal must be a signal name such as "SIGHUP", got ${describe(signal)}`);
    return (signal.toUpperCase().startsWith('SIG') ? '' : 'SIG') + signal.toUpperCase();
  }
}

/** The [template] table of a parsed resource file; unknown tables and fields are errors that name them. */
function templateTable(file: string, doc: Record<string, unknown>): TemplateFields {
  const extra = Object.keys(doc).filter((k) => k !== 'template');
  if (extra.length > 0) throw new ConfigError(`${file}: unknown table or key \`${extra[0]}\`; a resource file holds one [template] table`);
  const t = doc.template as Record<string, unknown> | undefined;
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new ConfigError(`${file}: missing [template] table`);
  for (const k of Object.keys(t)) {
    if (!fields.has(k)) throw new ConfigError(`${file}: unknown field \`${k}\` in [template]; valid fields: ${[...fields].join(', ')}`);
  }
  return new TemplateFields(file, t);
}

/** A parsed resource file → a validated Resource; throws a ConfigError naming the file and the field. */
function resourceFromDoc(file: string, doc: Record<string, unknown>, { confdir, prefix: globalPrefix, templateExists }: LoadResourcesOptions): Resource {
  const t = templateTable(file, doc);
  const srcName = t.string('src');
  if (!srcName) throw new ConfigError(`${file}: missing required field \`src\` (the template file under ${join(confdir, 'templates')})`);
  const destRaw = t.string('dest');
  if (!destRaw) throw new ConfigError(`${file}: missing required field \`dest\` (the file to write)`);
  const base = confdir === '/' ? '' : confdir;
  const src = joinUnder(`${base}/templates`, srcName);
  if (!isTemplateFile(src, templateExists ?? new Map())) throw new ConfigError(`${file}: src template ${src} does not exist`);
  const prefix = joinKey(globalPrefix, t.string('prefix') ?? '');
  return {
    name: file.startsWith(`${base}/conf.d/`) ? file.slice(base.length + 8) : relative(join(confdir, 'conf.d'), file),
    file,
    srcName,
    src,
    dest: resolveDest(confdir, destRaw),
    keys: t.keys(prefix),
    prefix,
    mode: t.mode(),
    uid: t.id('uid'),
    gid: t.id('gid'),
    checkCmd: t.string('check_cmd'),
    reloadCmd: t.string('reload_cmd'),
    checkTimeoutMs: t.duration('check_timeout', 30_000),
    reloadTimeoutMs: t.duration('reload_timeout', 60_000),
    reloadSignal: t.reloadSignal(),
    restart: t.restart(),
    wait: t.wait(),
    engine: t.engine(),
  };
}
