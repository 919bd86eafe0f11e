// Template resources: conf.d/**/*.toml → validated Resource objects (confd-compatible, strict about typos).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { joinKey } from '../backends/types.js';
import { shellQuote } from './commands.js';
import { ConfigError } from './errors.js';
import { defaultRenderLimits, type RenderLimits } from './render-limits.js';
import { commandPlaceholders, FieldError, TemplateFields } from './resource-fields.js';
import { lookupGroup, lookupUser } from './owners.js';
import { isPlainJson, parseToml, tomlErrorLocation, tomlErrorMessage } from './toml.js';
import { contentKey, readCached, writeCached } from './cache.js';

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
  checkTimeout: number;
  reloadTimeout: number;
  /** Signal sent to the supervised command when this resource changes (instead of reload_cmd). */
  reloadSignal?: string;
  /** Restart the supervised command when this resource changes. */
  restart: boolean;
  /** Per-resource quiescence; overrides --wait-min/--wait-max. */
  wait?: { min: number; max: number };
  /** Longest a render may take (ms) and the largest output it may produce (bytes): render_timeout, max_output. */
  renderTimeout: number;
  maxOutput: number;
}

const fields = new Set([
  'src', 'dest', 'keys', 'prefix', 'mode', 'owner', 'group', 'uid', 'gid',
  'check_cmd', 'reload_cmd', 'check_timeout', 'reload_timeout', 'reload_signal', 'restart', 'wait',
  'render_timeout', 'max_output',
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
const utf8 = { encoding: 'utf8' } as const;

/**
 * Every *.toml under conf.d, sorted, so errors and renders come in a stable order. Entries whose names start with
 * `..` are skipped: a Kubernetes ConfigMap or Secret volume keeps its files in `..<timestamp>/`, swapped in through
 * the `..data` link, and shows each file as a link `name -> ..data/name`; the visible links are the resources.
 */
export function listResourceFiles(confdir: string): string[] {
  const dir = join(confdir, 'conf.d');
  if (!existsSync(dir)) {
    throw new ConfigError(`${dir}: no conf.d directory; create it with one TOML file per template resource, or point --confdir at your confdir`);
  }
  const files: string[] = [];
  // d_type from readdir, no stat per entry (Node's recursive readdir costs several ms for 100 files).
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name.startsWith('..')) continue;
      const full = `${d}/${entry.name}`;
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.toml') && (entry.isFile() || entry.isSymbolicLink())) files.push(full);
    }
  };
  walk(dir);
  return files.sort();
}

/** Load and validate every resource; all problems are reported together, and nothing is written when any exists. */
export function loadResources({ confdir, prefix, cacheDir, renderLimits }: LoadResourcesOptions): Resource[] {
  const files = listResourceFiles(confdir);
  const texts = files.map((file) => readFileSync(file, utf8));
  const templateExists = new Map<string, boolean>();
  // The validated resources of an earlier start with these exact files, confdir, prefix and working directory
  // (relative paths resolve against it); what lies outside those inputs, the templates existing, is checked again.
  // Versioned: a cache written by a keyplate that validated less (or made fewer fields) must not be taken as valid.
  const limits = renderLimits ?? defaultRenderLimits;
  const input = `resources-2\0${limits.timeoutMs}\0${limits.maxOutputBytes}\0${process.cwd()}\0${confdir}\0${prefix}\0\0${files.map((f, i) => `${f}\0${texts[i]}`).join('\0\0')}`;
  const entry = `validated-${contentKey(`${process.cwd()}\0${confdir}\0${prefix}`)}.json`;
  const cached = readCached(cacheDir, entry, input);
  if (cached !== undefined) {
    const resources = JSON.parse(cached) as Resource[];
    if (resources.every((r) => isTemplateFile(r.src, templateExists))) return resources;
  }

  const resources: Resource[] = [];
  const problems: string[] = [];
  const docs = parseAll(files, texts, cacheDir, problems);
  files.forEach((file, i) => {
    if (!docs[i]) return;
    try {
      resources.push(resourceFromDoc(file, docs[i]!, { confdir, prefix, templateExists, renderLimits }, texts[i]));
    } catch (error) {
      if (error instanceof FieldError) problems.push(error.locate(texts[i]).message);
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
  if (!byName) writeCached(cacheDir, entry, input, JSON.stringify(resources));
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

/**
 * TOML → plain objects for every file, from the cache when these exact files were parsed before (parsing 100
 * small files costs a cold process ~7 ms; a cache hit is one read and a JSON.parse). Errors are never cached.
 */
function parseAll(files: readonly string[], texts: readonly string[], cacheDir: string | undefined, problems: string[]): Array<Record<string, unknown> | undefined> {
  const input = files.map((f, i) => `${f}\0${texts[i]}`).join('\0\0');
  // Named by the file list only (cheap to hash); the full input stored beside it decides whether it is a hit.
  const name = `resources-${contentKey(files.join('\0'))}.json`;
  const cached = readCached(cacheDir, name, input);
  if (cached !== undefined) return JSON.parse(cached) as Array<Record<string, unknown>>;
  const docs = files.map((file, i) => {
    try {
      return parseResourceToml(file, texts[i]);
    } catch (error) {
      if (error instanceof ConfigError) problems.push(error.message);
      else throw error;
      return undefined;
    }
  });
  if (problems.length === 0) {
    // Only plain JSON values round-trip (a TOML date or a bigint would not): cache nothing else.
    if (docs.every(isPlainJson)) writeCached(cacheDir, name, input, JSON.stringify(docs));
  }
  return docs;
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

export function parseResourceToml(file: string, text: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch (error) {
    const hint = /mode\s*=\s*0\d/.test(text) ? ' (write the mode as a string: mode = "0644")' : '';
    throw new ConfigError(`${file}${tomlErrorLocation(error)}: invalid TOML: ${tomlErrorMessage(error, text)}${hint}`, { cause: error });
  }
}

export function parseResource(file: string, text: string, options: LoadResourcesOptions): Resource {
  try {
    return resourceFromDoc(file, parseResourceToml(file, text), options, text);
  } catch (error) {
    throw error instanceof FieldError ? error.locate(text) : error;
  }
}

/** `text`, the file's TOML, lets checks see what parsing loses (a mode written as a TOML octal integer). */
export function resourceFromDoc(file: string, doc: Record<string, unknown>, { confdir, prefix: globalPrefix, templateExists, renderLimits = defaultRenderLimits }: LoadResourcesOptions, text?: string): Resource {
  const extra = Object.keys(doc).filter((k) => k !== 'template');
  if (extra.length > 0) throw new ConfigError(`${file}: unknown table or key \`${extra[0]}\`; a resource file holds one [template] table`);
  const t = doc.template as Record<string, unknown> | undefined;
  if (!t || typeof t !== 'object' || Array.isArray(t)) throw new ConfigError(`${file}: missing [template] table`);
  for (const k of Object.keys(t)) {
    if (!fields.has(k)) throw new FieldError(file, k, `unknown field \`${k}\` in [template]; valid fields: ${[...fields].join(', ')}`);
  }

  const f = new TemplateFields(file, t, text);
  const srcName = f.string('src', 'path');
  if (!srcName) throw new FieldError(file, 'src', `missing required field \`src\` (the template file under ${join(confdir, 'templates')})`);
  const destRaw = f.string('dest', 'path');
  if (!destRaw) throw new FieldError(file, 'dest', 'missing required field `dest` (the file to write)');
  const base = confdir === '/' ? '' : confdir;
  const src = joinUnder(`${base}/templates`, srcName);
  if (!isTemplateFile(src, templateExists ?? new Map())) throw new FieldError(file, 'src', `src template ${src} ${whyNotAFile(src)}`);
  const dest = resolveDest(confdir, destRaw);

  const rawKeys = f.keys();
  // confd (fork) semantics: global prefix + resource prefix, then each key under that.
  const prefix = joinKey(globalPrefix, f.string('prefix', 'path') ?? '');
  const keys = rawKeys.map((k) => joinKey(prefix, k));

  let uid = f.ownerId('uid');
  let gid = f.ownerId('gid');
  const owner = f.string('owner');
  const group = f.string('group');
  if (uid === undefined && owner !== undefined) {
    uid = lookupUser(owner);
    if (uid === undefined) throw new FieldError(file, 'owner', `owner \`${owner}\` is not a user on this system; use a name from /etc/passwd or set uid`);
  }
  if (gid === undefined && group !== undefined) {
    gid = lookupGroup(group);
    if (gid === undefined) throw new FieldError(file, 'group', `group \`${group}\` is not a group on this system; use a name from /etc/group or set gid`);
  }

  return {
    name: file.startsWith(`${base}/conf.d/`) ? file.slice(base.length + 8) : relative(join(confdir, 'conf.d'), file),
    file,
    srcName,
    src,
    dest,
    keys,
    prefix,
    mode: f.mode(),
    uid,
    gid,
    checkCmd: commandPlaceholders(f, 'check_cmd', f.string('check_cmd', 'command'), dest, shellQuote),
    reloadCmd: commandPlaceholders(f, 'reload_cmd', f.string('reload_cmd', 'command'), dest, shellQuote),
    checkTimeout: f.duration('check_timeout') ?? 30_000,
    reloadTimeout: f.duration('reload_timeout') ?? 60_000,
    reloadSignal: f.signal('reload_signal'),
    restart: f.boolean('restart', false),
    wait: f.wait(),
    renderTimeout: f.duration('render_timeout') ?? renderLimits.timeoutMs,
    maxOutput: f.size('max_output') ?? renderLimits.maxOutputBytes,
  };
}
