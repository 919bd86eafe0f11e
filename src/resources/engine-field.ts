// The `engine` field of a resource: which template language its src is written in ("go" for confd's Go
// text/template, "handlebars" for keyplate's own). Absent: keyplate chooses (src/template/engine.ts).
import { describe } from '../errors.js';
import { templateEngines, type TemplateEngine } from '../template/engine-names.js';
import { FieldError } from './resource-fields.js';

/**
 * The validated `engine` of the resource file `file` (undefined when absent). Another value is a FieldError, which
 * the loader turns into file:line.
 */
export function engineField(file: string, value: unknown): TemplateEngine | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (templateEngines as readonly string[]).includes(value)) return value as TemplateEngine;
  throw new FieldError(file, 'engine', `engine must be "go" (confd's Go text/template) or "handlebars", got ${describe(value)}; leave it out to let keyplate tell from the template`);
}
