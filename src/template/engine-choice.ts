// Which engine renders a template: the resource's `engine`, else the `template_engine` setting, else the template's
// own syntax (go/dialect.ts). This file decides and explains; engine.ts compiles. It travels in the Go bundle
// (go-compile.ts re-exports it): a start whose decisions are cached never loads it.
//
// The rule, as README "Point keyplate at your confd confdir" documents it:
// 1. `engine = "go" | "handlebars"` in the resource wins; then template_engine (flag, KEYPLATE_TEMPLATE_ENGINE,
//    keyplate.toml) when it is not `auto`.
// 2. Otherwise the syntax decides: Go-only syntax → Go; Handlebars-only syntax → Handlebars; a template whose every
//    tag is valid in both with the same output → Handlebars (the bytes are the same, and the Go engine stays
//    unloaded).
// 3. Valid in both but rendering differently (`ls "/"`, a key without a leading slash …), or syntax of both: a
//    Handlebars extension (.hbs, .handlebars, .mustache) → Handlebars, else Go: what a confd user pointing keyplate
//    at an unchanged confdir needs.
// A forced engine that contradicts the syntax (Go-only syntax forced through Handlebars, or the reverse) is a
// ConfigError naming file:line and the construct, never a wrong file.
import { ConfigError } from '../errors.js';
import type { TemplateEngine } from './engine-names.js';
import { detectDialect, type DialectEvidence } from './go/dialect.js';

/** Who forced an engine: the resource's field (named by its file) or the template_engine setting. */
export interface ForcedEngine {
  readonly engine: TemplateEngine;
  /** `conf.d/app.toml` for the field, undefined for the setting. */
  readonly resourceFile?: string;
}

/** The engine of one template and why, in words for `keyplate check`. */
export interface EngineChoice {
  readonly engine: TemplateEngine;
  readonly why: string;
  /** Chosen by the default (the syntax allowed either, with different output): worth a line in the log. */
  readonly guessed?: true;
}

const handlebarsExtension = /\.(hbs|handlebars|mustache)$/i;
const label: Record<TemplateEngine, string> = { go: 'Go', handlebars: 'Handlebars' };

function quoted(e: DialectEvidence): string {
  return `at line ${e.line}, ${e.construct.replace(/\s+/g, ' ')}`;
}

function forcedBy(forced: ForcedEngine): string {
  return forced.resourceFile ? `engine = "${forced.engine}" in ${forced.resourceFile}` : `template_engine = ${forced.engine}`;
}

/**
 * The engine for the template `file` with text `text`, under `forced` (the resource's field or the setting, if any).
 * Throws a ConfigError (exit 2) when `forced` contradicts syntax only the other language has.
 */
export function chooseEngine(file: string, text: string, forced: ForcedEngine | undefined): EngineChoice {
  const guess = detectDialect(text);
  if (forced) {
    const other: TemplateEngine = forced.engine === 'go' ? 'handlebars' : 'go';
    if (guess.dialect === other) {
      const evidence = (other === 'go' ? guess.go : guess.handlebars)!;
      const fix = forced.resourceFile ? `set engine = "${other}" in ${forced.resourceFile}` : `set engine = "${other}" in its resource, or template_engine = auto`;
      throw new ConfigError(
        `${file}:${evidence.line}:${evidence.column}: this looks like a ${label[other]} template (${evidence.construct.replace(/\s+/g, ' ')}), but ${forcedBy(forced)} reads it as ${label[forced.engine]}; ${fix}`,
      );
    }
    return { engine: forced.engine, why: `set by ${forcedBy(forced)}` };
  }
  switch (guess.dialect) {
    case 'go':
      return { engine: 'go', why: `Go syntax ${quoted(guess.go!)}` };
    case 'handlebars':
      return { engine: 'handlebars', why: `Handlebars syntax ${quoted(guess.handlebars!)}` };
    case 'both':
      return { engine: 'handlebars', why: 'valid in both languages with the same output' };
    default: {
      const what =
        guess.dialect === 'conflict'
          ? `syntax of both languages (Go ${quoted(guess.go!)}; Handlebars ${quoted(guess.handlebars!)})`
          : `valid in both languages but rendered differently by each (${quoted(guess.differs!).slice(3)})`;
      if (handlebarsExtension.test(file)) return { engine: 'handlebars', why: `${what}; Handlebars by its file extension`, guessed: true };
      return { engine: 'go', why: `${what}; Go, confd's language, is the default: set engine in the resource to choose`, guessed: true };
    }
  }
}

/**
 * chooseEngine for a caller outside the Go bundle, where this bundle's ConfigError is another class: the choice, or
 * the message of the error chooseEngine would throw.
 */
export function chooseEngineOrSay(file: string, text: string, forced: ForcedEngine | undefined): EngineChoice | { problem: string } {
  try {
    return chooseEngine(file, text, forced);
  } catch (error) {
    if (error instanceof ConfigError) return { problem: error.message };
    throw error;
  }
}

/** A syntax error's hint when the template has syntax of the other language: which engine to set, and why. */
export function otherEngineHint(text: string, engine: TemplateEngine): string {
  const guess = detectDialect(text);
  const evidence = engine === 'go' ? guess.handlebars : guess.go;
  const other = engine === 'go' ? 'handlebars' : 'go';
  if (!evidence && engine === 'go' && guess.differs) {
    // Something Handlebars reads otherwise (`\{{x}}`: an escaped tag), whether Go was chosen or guessed.
    const { line, construct } = guess.differs;
    return ` (line ${line} has ${construct.replace(/\s+/g, ' ')}, which Handlebars reads otherwise: if it is a Handlebars template, set engine = "handlebars" in its resource)`;
  }
  if (!evidence) return '';
  return ` (this template has ${label[other]} syntax at line ${evidence.line}, ${evidence.construct.replace(/\s+/g, ' ')}: if it is a ${label[other]} template, set engine = "${other}" in its resource)`;
}
