// Template resources: conf.d/**/*.toml → validated Resource objects (confd-compatible, strict about typos).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { joinKey } from '../keys/paths.js';
import { ConfigError } from '../errors.js';
import { shellQuote } from '../process/commands.js';
import { defaultRenderLimits, type RenderLimits } from '../template/render-limits.js';
import { engineField } from './engine-field.js';
import { commandPlaceholders, FieldError, TemplateFields } from './resource-fields.js';
import { parseFilesCached, readValidated, saveValidated } from './resource-cache.js';
import { parseToml, tomlErrorLocation, tomlErrorMessage } from '../config/toml.js';

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
  /** Longest a render may take (ms) and the largest output it may produce (bytes): render_timeout, max_output. */
  renderTimeout: number;
  maxOutput: number;
  /** The template language `src` is written in, when the resource says (else template_engine, else detection). */
  engine?: 'go' | 'handlebars';
}

const fields = new Set([
  'src', 'dest', 'keys', 'prefix', 'mode', 'owner', 'group', 'uid', 'gid',
  'check_cmd', 'reload_cmd', 'check_timeout', 'reload_timeout', 'reload_signal', 'restart', 'wait',
  'render_timeout', 'max_output', 'engine',
]);

export interface LoadResourcesOptions {
  confdir: string;
  /** Global --prefix. */
  prefix: string;
  /** Memo of template paths already checked (many resources often share one template). */
  templateExists?: Map<string, boolean>;
  /** keyplate's cache directory (parsed resource files); undefined disables it. */
  cacheDir?: string;
  /** Render limits of resources that set no render_timeout or max_output (default: defaultRenderLimits). */
  renderLimits?: RenderLimits;
}

/** fs options as constants: given as a string, Node copies a fresh options object on every call. */
const noThrow = { throwIfNoEntry: false } as const;
const utf8 = { encoding: 'utf8' } as const;

/**
 * Every *.toml under conf.d, sorted, so errors and renders come in a stable order. Entries whose names start with
 * `..` are skipped: a Kubernetes ConfigMap or Secret volume keeps its files in `..<timestamp>/`, swapped in through
 * the `..data` link, and shows each file as a link `name -> ..data/name`; the visible links are the resources.
 * Editor lock files (`.#name.toml`, Emacs's dangling link to `user@host.pid`) are skipped too. A subdirectory that
 * cannot be listed is a ConfigError naming it (exit 2).
 */
function listResourceFiles(confdir: string): string[] {
  const dir = join(confdir, 'conf.d');
  if (!existsSync(dir)) {
    throw new ConfigError(`${dir}: no conf.d directory; create it with one TOML file per template resource, or point --confdir at your confdir`);
  }
  const files: string[] = [];
  // d_type from readdir, no stat per entry (Node's recursive readdir costs several ms for 100 files).
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (error) {
      throw new ConfigError(`${d}: cannot list the directory (${errnoWords(error)})`);
    }
    for (const entry of entries) {
      if (entry.name.startsWith('..') || entry.name.startsWith('.#')) continue;
      const full = `${d}/${entry.name}`;
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.toml') && (entry.isFile() || entry.isSymbolicLink())) files.push(full);
    }
  };
  walk(dir);
  return files.sort();
}

/** An fs error in words for a message: what it means, then its code. */
function errnoWords(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist, or is a symbolic link to nothing (ENOENT)';
    case 'EACCES':
      return 'this user may not read it (EACCES)';
    case 'EISDIR':
      return 'it is a directory, not a file (EISDIR)';
    case 'ELOOP':
      return 'it is a loop of symbolic links (ELOOP)';
    case 'ENOTDIR':
      return 'it is a file, not a directory (ENOTDIR)';
    default:
      return code ?? (error as Error).message;
  }
}

/**
 * The text of every resource file; one ConfigError (exit 2) naming every file that cannot be read and why (a dangling
 * link, no permission, a link to a directory).
 */
function readResourceFiles(files: readonly string[]): string[] {
  const problems: string[] = [];
  const texts = files.map((file) => {
    try {
      return readFileSync(file, utf8);
    } catch (error) {
      problems.push(`${file}: cannot read the resource file: ${errnoWords(error)}; fix or remove it`);
      return '';
    }
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return texts;
}

/** Load and validate every resource; all problems are reported together, and nothing is written when any exists. */
export function loadResources({ confdir, prefix, cacheDir, renderLimits }: LoadResourcesOptions): Resource[] {
  const files = listResourceFiles(confdir);
  const input = { confdir, prefix, files, texts: readResourceFiles(files) };
  const templateExists = new Map<string, boolean>();
  // Keyed by the render limits' defaults too: a resource without render_timeout or max_output takes them.
  const limits = renderLimits ?? defaultRenderLimits;
  const cached = readValidated<Resource>(cacheDir, input, limits);
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
      resources.push(resourceFromDoc(file, docs[i]!, { confdir, prefix, templateExists, renderLimits: limits }, input.texts[i]));
    } catch (error) {
      if (error instanceof FieldError) problems.push(error.locate(input.texts[i]).message);
      else if (error instanceof ConfigError) problems.push(error.message);
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
  if (!byName) saveValidated(cacheDir, input, limits, resources);
  return resources;
}

/** The template file exists (memoized: many resources often share one template). */
function isTemplateFile(src: string, memo: Map<string, boolean>): boolean {
  let exists = memo.get(src);
  if (exists === undefined) {
    try {
      exists = statSync(src, noThrow)?.isFile() ?? false; // one call: existsSync and a stat were two per template
    } catch {
      exists = false; // ENOTDIR, EACCES…: whyNotAFile says which
    }
    memo.set(src, exists);
  }
  return exists;
}

/** Why `path` is not a readable template file, in words (only asked once it is known not to be one). */
function whyNotAFile(path: string): string {
  try {
    return statSync(path).isDirectory() ? 'is a directory, not a file' : 'is not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENAMETOOLONG') return 'has a name too long for the file system (ENAMETOOLONG)';
    if (code === 'EACCES') return 'cannot be reached by this user (EACCES)';
    if (code === 'ENOTDIR') return 'does not exist (a part of its path is a file, not a directory)';
    if (code === 'ELOOP') return 'is a loop of symbolic links (ELOOP)';
    return 'does not exist';
  }
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
    throw new ConfigError(`${file}${tomlErrorLocation(error)}: invalid TOML: ${tomlErrorMessage(error, text)}${hint}`, { cause: error });
  }
}

/** Parse and validate one resource file's text (tests and tools; a start uses loadResources). */
export function parseResource(file: string, text: string, options: LoadResourcesOptions): Resource {
  try {
    return resourceFromDoc(file, parseResourceToml(file, text), options, text);
  } catch (error) {
    throw error instanceof FieldError ? error.locate(text) : error;
  }
}

/** The [template] table of a parsed resource file; unknown tables and fields are errors that name them. */
function templateTable(file: string, doc: Record<string, unknown>, text: string | undefined): TemplateFields {
  const extra = Object.keys(doc).filter((k) => k !== 'template');
  if (extra.length > 0) throw new ConfigError(`${file}: unknown table or key \`${extra[0]}\`; a resource file holds one [template] table`);
  const t = doc.template as Record<string, unknown> | undefined;
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new ConfigError(`${file}: missing [template] table`);
  for (const k of Object.keys(t)) {
    if (!fields.has(k)) throw new FieldError(file, k, `unknown field \`${k}\` in [template]; valid fields: ${[...fields].join(', ')}`);
  }
  return new TemplateFields(file, t, text);
}

/**
 * A parsed resource file → a validated Resource; throws a ConfigError naming the file and the field (a FieldError,
 * which `locate` gives the field's line). `text`, the file's TOML, lets checks see what parsing loses (a mode
 * written as a TOML octal integer).
 */
function resourceFromDoc(file: string, doc: Record<string, unknown>, { confdir, prefix: globalPrefix, templateExists, renderLimits = defaultRenderLimits }: LoadResourcesOptions, text?: string): Resource {
  const f = templateTable(file, doc, text);
  const srcName = f.string('src', 'path');
  if (!srcName) throw new FieldError(file, 'src', `missing required field \`src\` (the template file under ${join(confdir, 'templates')})`);
  const destRaw = f.string('dest', 'path');
  if (!destRaw) throw new FieldError(file, 'dest', 'missing required field `dest` (the file to write)');
  // "out/dir/", "out/.", "..": a directory's name; written as given it would become a regular file named "out/dir".
  if (/(^|\/)(\.\.?)?$/.test(destRaw)) {
    throw new FieldError(file, 'dest', `dest "${destRaw}" names a directory; dest must name a file, e.g. "${destRaw.replace(/\/*$/, '')}/app.conf"`);
  }
  const base = confdir === '/' ? '' : confdir;
  const src = joinUnder(`${base}/templates`, srcName);
  if (!isTemplateFile(src, templateExists ?? new Map())) throw new FieldError(file, 'src', `src template ${src} ${whyNotAFile(src)}`);
  const dest = resolveDest(confdir, destRaw);
  // confd (fork) semantics: global prefix + resource prefix, then each key under that.
  const prefix = joinKey(globalPrefix, f.string('prefix', 'path') ?? '');
  return {
    name: file.startsWith(`${base}/conf.d/`) ? file.slice(base.length + 8) : relative(join(confdir, 'conf.d'), file),
    file,
    srcName,
    src,
    dest,
    keys: f.keys().map((k) => joinKey(prefix, k)),
    prefix,
    mode: f.mode(),
    uid: f.id('uid'),
    gid: f.id('gid'),
    checkCmd: commandPlaceholders(f, 'check_cmd', f.string('check_cmd', 'command'), dest, shellQuote),
    reloadCmd: commandPlaceholders(f, 'reload_cmd', f.string('reload_cmd', 'command'), dest, shellQuote),
    checkTimeoutMs: f.duration('check_timeout') ?? 30_000,
    reloadTimeoutMs: f.duration('reload_timeout') ?? 60_000,
    reloadSignal: f.signal('reload_signal'),
    restart: f.boolean('restart', false),
    wait: f.wait(),
    renderTimeout: f.duration('render_timeout') ?? renderLimits.timeoutMs,
    maxOutput: f.size('max_output') ?? renderLimits.maxOutputBytes,
    engine: engineField(file, (doc.template as Record<string, unknown>).engine),
  };
}
