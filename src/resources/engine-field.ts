// The `engine` field of a resource: which template language its src is written in ("go" for confd's Go
// text/template, "handlebars" for keyplate's own). Absent: keyplate chooses (src/template/engine.ts).
import { readFileSync } from 'node:fs';
import { ConfigError, describe } from '../errors.js';
import { templateEngines, type TemplateEngine } from '../template/engine-names.js';

/** The 1-based line of `engine = …` in a resource file's text, or undefined when the text does not say. */
function engineLine(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const at = text.split('\n').findIndex((line) => /^\s*(?:template\s*\.\s*)?["']?engine["']?\s*=/.test(line));
  return at === -1 ? undefined : at + 1;
}

/**
 * The validated `engine` of the resource file `file` (undefined when absent). Another value is a ConfigError naming
 * file:line (the file is read again only then, to find the line).
 */
export function engineField(file: string, value: unknown): TemplateEngine | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (templateEngines as readonly string[]).includes(value)) return value as TemplateEngine;
  const line = engineLine(file);
  throw new ConfigError(
    `${file}${line === undefined ? '' : `:${line}`}: engine must be "go" (confd's Go text/template) or "handlebars", got ${describe(value)}; leave it out to let keyplate tell from the template`,
  );
}
