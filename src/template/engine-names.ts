// The template languages keyplate renders, by the names resources and settings use. A file of its own so that the
// start path can name them without loading the rule that chooses (engine-choice.ts, which the Go bundle carries).

/** The template languages keyplate renders: confd's Go text/template, and Handlebars. */
export const templateEngines = ['go', 'handlebars'] as const;
export type TemplateEngine = (typeof templateEngines)[number];

/** The template_engine setting: an engine for every template, or `auto` (the rule in engine-choice.ts). */
export type TemplateEngineSetting = TemplateEngine | 'auto';
