// Type checks for the fields of a resource's [template] table, and where in the file each field is written.
//
// smol-toml gives positions only for syntax errors, so a field's line is found in the text when (and only when) a
// field is wrong: the happy path costs nothing.
import { parseDuration } from '../config/duration.js';
import { ConfigError } from '../errors.js';
import { maxOutputCeiling, parseSize } from '../template/render-limits.js';
import { lookupGroup, lookupUser } from './owners.js';

/** A field of [template] that has the wrong type or value; `locate` adds the field's line once the text is at hand. */
export class FieldError extends ConfigError {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }

  /** The same error as `file:line: detail`, the line being where `field` is set in `text` (when found). */
  locate(text: string | undefined): ConfigError {
    const line = text === undefined ? undefined : fieldLine(text, this.field);
    return line === undefined ? this : new ConfigError(`${this.file}:${line}: ${this.detail}`, { cause: this });
  }
}

/**
 * The 1-based line where `field` (a [template] field, or `wait.min`-style sub-field) is set: `field = …` inside
 * [template], `template.field = …`, or a `[template.field]` header. undefined when the text does not say.
 */
export function fieldLine(text: string, field: string): number | undefined {
  const dot = field.indexOf('.');
  const [name, sub] = dot === -1 ? [field, undefined] : [field.slice(0, dot), field.slice(dot + 1)];
  // Field names come from the file (quoted TOML keys can hold anything): matched literally.
  const literal = (k: string): string => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const key = (k: string): string => `(?:${literal(k)}|"${literal(k)}"|'${literal(k)}')`;
  const lines = text.split('\n');
  let table = '';
  let found: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const header = /^\s*\[\s*([^\]]*?)\s*\]/.exec(line);
    if (header) {
      table = header[1].replace(/\s|["']/g, '');
      if (table === `template.${name}` && found === undefined) found = i + 1;
      continue;
    }
    const inTemplate = table === 'template' && new RegExp(`^\\s*${key(name)}\\s*[=.]`).test(line);
    const dotted = table === '' && new RegExp(`^\\s*${key('template')}\\s*\\.\\s*${key(name)}\\s*[=.]`).test(line);
    const inSub = sub !== undefined && table === `template.${name}` && new RegExp(`^\\s*${key(sub)}\\s*=`).test(line);
    if (inSub) return i + 1;
    if ((inTemplate || dotted) && found === undefined) {
      found = i + 1;
      // `wait = { min = …, max = … }` on one line: that line is as close as the text gets.
      if (sub === undefined) return found;
    }
  }
  return found;
}

/** A value as error messages quote it: control characters escaped, so a NUL or an escape sequence stays visible. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return `${JSON.stringify(value)} (string)`;
  if (value instanceof Date) return `${value.toISOString?.() ?? String(value)} (a TOML date)`;
  if (typeof value === 'bigint') return `${value} (integer)`;
  // As TOML spells them (JSON would say null).
  if (typeof value === 'number' && !Number.isFinite(value)) return `${Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf'} (number)`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return `${text} (${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'object' ? 'table' : typeof value})`;
}

/**
 * os.constants.signals, loaded only when a resource names a signal: node:os costs the start path ~4 ms to load
 * (process.getBuiltinModule exists from Node 20.16; engines asks for 20.19).
 */
function signalNumbers(): Readonly<Record<string, number>> {
  return process.getBuiltinModule('node:os').constants.signals;
}

/** Control characters a path or key may not hold (all of C0, and DEL): a NUL ends a path at the system call. */
const pathControl = /[\u0000-\u001f\u007f]/;
/** In commands, tab and line breaks are shell syntax; other control characters are mistakes (a NUL ends the argument). */
const commandControl = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Longest timer Node honours (setTimeout's 32-bit limit, ~24.8 days); a longer one fires at once. */
export const maxDurationMs = 2 ** 31 - 1;

/** Reads and type-checks the fields of one [template] table; every failure is a FieldError naming the field. */
export class TemplateFields {
  constructor(
    readonly file: string,
    readonly table: Record<string, unknown>,
    /** The file's TOML, when at hand. */
    readonly text?: string,
  ) {}

  fail(field: string, expected: string, value: unknown): never {
    throw new FieldError(this.file, field, `${field} must be ${expected}, got ${quote(value)}`);
  }

  /** A string field; `kind` decides which control characters are refused. */
  string(field: string, kind: 'path' | 'command' | 'name' = 'name'): string | undefined {
    const v = this.table[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(field, 'a string', v);
    checkControl(this, field, v, kind);
    return v;
  }

  /** A list of key prefixes: strings without control characters or glob syntax (keys are prefixes, not patterns). */
  keys(): string[] {
    const v = this.table.keys ?? [];
    if (!Array.isArray(v) || !v.every((k) => typeof k === 'string')) this.fail('keys', 'a list of strings such as ["/database"]', v);
    for (const k of v as string[]) {
      checkControl(this, 'keys', k, 'path');
      const glob = /[*?[\]]/.exec(k);
      if (glob) {
        const dir = k.slice(0, k.lastIndexOf('/', glob.index)) || '/';
        throw new FieldError(this.file, 'keys', `keys: ${JSON.stringify(k)} is a pattern, but keys are prefixes: write ${JSON.stringify(dir)} (every key under it is fetched and watched) and match with gets in the template`);
      }
    }
    return v as string[];
  }

  /** A duration in ms ("30s", or a number of seconds), positive and within what a timer can wait. */
  duration(field: string, value: unknown = this.table[field]): number | undefined {
    if (value === undefined) return undefined;
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    if (ms === undefined || !(ms > 0) || ms > maxDurationMs) this.fail(field, 'a duration such as "30s" (more than 0, at most 24 days)', value);
    return ms;
  }

  /** uid or gid: an integer from 0 to 4294967294 (-1, "leave as is", is what omitting the field means). */
  ownerId(field: 'uid' | 'gid'): number | undefined {
    const v = this.table[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xfffffffe) this.fail(field, 'an integer from 0 to 4294967294', v);
    return v;
  }

  /** `uid`/`gid`, else the id of `owner`/`group` (uid and gid win over the names). */
  id(k: 'uid' | 'gid'): number | undefined {
    const [field, lookup, what, table] = k === 'uid' ? (['owner', lookupUser, 'user', '/etc/passwd'] as const) : (['group', lookupGroup, 'group', '/etc/group'] as const);
    const name = this.string(field); // checked even when the id is given: a mistyped name is still a mistake
    const id = this.ownerId(k);
    if (id !== undefined || name === undefined) return id;
    const found = lookup(name);
    if (found === undefined) throw new FieldError(this.file, field, `${field} \`${name}\` is not a ${what} on this system; use a name from ${table} or set ${k}`);
    return found;
  }

  /** An octal mode written as a string ("0644"; "644" is octal too) or as a bare number of octal digits. */
  mode(): number | undefined {
    const v = this.table.mode;
    if (v === undefined) return undefined;
    // `mode = 0o644` is the TOML integer 420, which would read as the octal digits 420: refuse it, never guess.
    if (typeof v === 'number' && this.text !== undefined && /^\s*(?:template\s*\.\s*)?mode\s*=\s*[+-]?0[oxb]/m.test(this.text)) {
      throw new FieldError(this.file, 'mode', `mode: a TOML ${/=\s*[+-]?0o/.test(this.text) ? 'octal' : 'hex or binary'} integer is a number (${v} here), not the digits of a mode; write the mode as a string: mode = "0644"`);
    }
    const text = typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v)) ? String(v) : undefined;
    if (text === undefined || !/^0?[0-7]{1,4}$/.test(text)) this.fail('mode', 'an octal string such as "0644"', v);
    return parseInt(text, 8);
  }

  /** A size in bytes: an integer, or "64MiB", "512k" (k, M, G are powers of 1024), at most 512 MiB. */
  size(field: string): number | undefined {
    const v = this.table[field];
    if (v === undefined) return undefined;
    const bytes = parseSize(v);
    if (bytes === undefined || bytes > maxOutputCeiling) this.fail(field, 'a size such as "64MiB" or a number of bytes (at most 512MiB)', v);
    return bytes;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.table[field] ?? fallback;
    if (typeof v !== 'boolean') this.fail(field, 'true or false', v);
    return v;
  }

  /** `wait = "1s"` (max 4 × min) or `wait = { min = "50ms", max = "1s" }`, min ≤ max; in ms. */
  wait(): { minMs: number; maxMs: number } | undefined {
    const w = this.table.wait;
    if (w === undefined) return undefined;
    const expected = 'a duration or a table { min = "50ms", max = "1s" }';
    if (typeof w === 'string' || typeof w === 'number') {
      const min = this.duration('wait', w)!;
      return { minMs: min, maxMs: Math.min(min * 4, maxDurationMs) };
    }
    if (typeof w !== 'object' || w === null || Array.isArray(w) || w instanceof Date) this.fail('wait', expected, w);
    const table = w as Record<string, unknown>;
    const extra = Object.keys(table).find((k) => k !== 'min' && k !== 'max');
    if (extra !== undefined) throw new FieldError(this.file, `wait.${extra}`, `wait: unknown field \`${extra}\`; wait has min and max`);
    if (table.min === undefined) throw new FieldError(this.file, 'wait', `wait: min is missing; write wait = { min = "50ms", max = "1s" }, or wait = "50ms"`);
    const min = this.duration('wait.min', table.min)!;
    const max = this.duration('wait.max', table.max ?? table.min)!;
    if (min > max) throw new FieldError(this.file, 'wait', `wait: min (${quote(table.min)}) must not exceed max (${quote(table.max)})`);
    return { minMs: min, maxMs: max };
  }

  /** A signal name Node knows (os.constants.signals), with or without SIG, as `SIGNAME`. */
  signal(field: string): string | undefined {
    const raw = this.string(field);
    if (raw === undefined) return undefined;
    const upper = raw.trim().toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    if (!Object.hasOwn(signalNumbers(), name)) {
      throw new FieldError(this.file, field, `${field}: ${quote(raw)} is not a signal name on this system; use one such as "SIGHUP", "SIGUSR1" or "SIGUSR2" (see kill -l)`);
    }
    return name;
  }
}

function checkControl(fields: TemplateFields, field: string, value: string, kind: 'path' | 'command' | 'name'): void {
  const bad = (kind === 'command' ? commandControl : pathControl).exec(value);
  if (!bad) return;
  const code = `U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new FieldError(fields.file, field, `${field} holds the control character ${code} at position ${bad.index + 1} of ${JSON.stringify(value)}; remove it`);
}

/** `{{src}}` or confd's `{{.src}}`, spaces allowed inside the braces: the only placeholder commands know. */
const srcPlaceholder = /\{\{\s*\.?src\s*\}\}/g;

/**
 * A command's `{{…}}` placeholders checked at load. check_cmd keeps `{{src}}` (the stage file, substituted when
 * it runs); in reload_cmd, `{{src}}` becomes the destination path, shell-quoted, now (the file the reload is
 * about; confd would pass it to the shell literally, which always fails). Any other `{{…}}` is a FieldError.
 */
export function commandPlaceholders(fields: TemplateFields, field: 'check_cmd' | 'reload_cmd', command: string | undefined, dest: string, quoteForShell: (s: string) => string): string | undefined {
  if (command === undefined) return undefined;
  const other = /\{\{(?!\s*\.?src\s*\}\})[\s\S]*?(\}\}|$)/.exec(command);
  if (other) {
    throw new FieldError(
      fields.file,
      field,
      `${field}: ${JSON.stringify(other[0])} is not a placeholder keyplate knows; only {{src}} (or confd's {{.src}}) is substituted. A command that needs literal {{ … }} belongs in a script that ${field} runs`,
    );
  }
  return field === 'reload_cmd' ? command.replace(srcPlaceholder, () => quoteForShell(dest)) : command;
}

