// A confdir's templates, each compiled by the engine the rule in engine-choice.ts picks: Handlebars through
// handlebars.ts (with its start-time caches), Go through go-compile.ts, a bundle of its own in dist/ that is loaded
// only when a template is Go or the choices are not cached (it carries the rule too).
//
// The choice is cached like the compiled templates (cache/disk.ts): one entry per set of template files, holding
// every input of the rule (each file, its text, what forced an engine), so a start with unchanged templates does not
// scan their text again.
import { readFileSync } from 'node:fs';
import { contentKey, readCached, writeCached } from '../cache/disk.js';
import { ConfigError, KeyplateError, RenderError } from '../errors.js';
import type { EngineChoice, ForcedEngine } from './engine-choice.js';
import type { TemplateEngine, TemplateEngineSetting } from './engine-names.js';
import { compileTemplates, type CompiledTemplate } from './handlebars.js';

/** One template as a resource asks for it. */
export interface TemplateRequest {
  /** Path relative to the templates directory, as resources name it. */
  readonly name: string;
  /** Absolute path. */
  readonly file: string;
  /** The resource's `engine` field, if set (with the resource's file, for messages). */
  readonly engine?: TemplateEngine;
  readonly resourceFile?: string;
}

/** A compiled template with the engine that renders it and why (for `keyplate check`). */
export interface ChosenTemplate extends CompiledTemplate {
  readonly engine: TemplateEngine;
  readonly why: string;
  /** The syntax allowed either engine, with different output; the default chose (see engine-choice.ts). */
  readonly guessed?: true;
}

export interface ChooseOptions {
  /** Where compiled templates and choices are cached; undefined disables the cache. */
  cacheDir?: string;
  /** The template_engine setting (default auto). */
  setting?: TemplateEngineSetting;
}

interface Job {
  name: string;
  file: string;
  source: string;
  forced?: ForcedEngine;
}

const utf8 = { encoding: 'utf8' } as const;

function forcedFor(request: TemplateRequest, setting: TemplateEngineSetting): ForcedEngine | undefined {
  if (request.engine) return { engine: request.engine, resourceFile: request.resourceFile };
  return setting === 'auto' ? undefined : { engine: setting };
}

/** The Go bundle (go-compile.ts): the Go engine, and the rule that chooses an engine. */
const goBundle = (): Promise<typeof import('./go-compile.js')> => import('./go-compile.js');

/**
 * Every job's engine, from the cache when these exact inputs were decided before (then the rule is not even loaded);
 * ConfigErrors go to `problems`. The input's tag (`keyplate-engines-N`) names the rule's version: a change to the rule
 * (dialect.ts) bumps it, or a cache made by the old rule keeps deciding.
 */
async function choices(jobs: readonly Job[], cacheDir: string | undefined, problems: string[]): Promise<Array<EngineChoice | undefined>> {
  const input = `keyplate-engines-2\0${jobs.map((j) => `${j.file}\0${j.forced?.engine ?? ''}\0${j.forced?.resourceFile ?? ''}\0${j.source}`).join('\0\0')}`;
  const entry = `engines-${contentKey(jobs.map((j) => j.file).join('\0'))}.json`;
  const cached = readCached(cacheDir, entry, input);
  if (cached !== undefined) return JSON.parse(cached) as EngineChoice[];
  const { chooseEngineOrSay } = await goBundle();
  const chosen = jobs.map((job) => {
    const choice = chooseEngineOrSay(job.file, job.source, job.forced);
    if (!('problem' in choice)) return choice;
    problems.push(choice.problem);
    return undefined;
  });
  if (problems.length === 0) writeCached(cacheDir, entry, input, JSON.stringify(chosen));
  return chosen;
}

/** A Handlebars compile error's lines, each with a hint when its template has Go syntax. */
async function withGoHints(error: ConfigError, jobs: readonly Job[]): Promise<string> {
  const { otherEngineHint } = await goBundle();
  const hinted = new Set<string>();
  return error.message
    .split('\n')
    .map((line) => {
      const job = jobs.find((j) => line.startsWith(`${j.file}:`));
      if (!job || hinted.has(job.file)) return line;
      hinted.add(job.file);
      return line + otherEngineHint(job.source, 'handlebars');
    })
    .join('\n');
}

/**
 * A Go execution error as keyplate's RenderError. The Go engine is a bundle of its own (see go-compile.ts) whose
 * errors are copies of keyplate's classes: known by their exit code, as names do not survive minifying.
 */
function asRenderError(error: unknown): unknown {
  const foreign = error instanceof Error && !(error instanceof KeyplateError) && typeof (error as { exitCode?: unknown }).exitCode === 'number';
  return foreign ? new RenderError(error.message, { cause: error }) : error;
}

function withKeyplateErrors<T extends CompiledTemplate>(template: T): T {
  const render = template.render;
  return Object.assign(Object.create(template) as T, {
    render(scope: Parameters<CompiledTemplate['render']>[0]) {
      let result: ReturnType<CompiledTemplate['render']>;
      try {
        result = render(scope);
      } catch (error) {
        throw asRenderError(error);
      }
      return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(asRenderError(error))) : result;
    },
  });
}

/** One job per template and forced engine, with the template's text; a ConfigError lists every unreadable one. */
function readJobs(requests: readonly TemplateRequest[], setting: TemplateEngineSetting): Map<string, Job> {
  const problems: string[] = [];
  const jobs = new Map<string, Job>();
  const texts = new Map<string, string | undefined>();
  for (const request of requests) {
    const forced = forcedFor(request, setting);
    const key = `${forced?.engine ?? ''}\0${request.file}`;
    if (jobs.has(key)) continue;
    if (!texts.has(request.file)) {
      try {
        texts.set(request.file, readFileSync(request.file, utf8));
      } catch (error) {
        texts.set(request.file, undefined);
        problems.push(`${request.file}: cannot read the template (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      }
    }
    const source = texts.get(request.file);
    if (source !== undefined) jobs.set(key, { name: request.name, file: request.file, source, forced });
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return jobs;
}

/**
 * Compile the templates `requests` name, each by its engine. Returns a lookup from a request to its template (two
 * resources sharing a src under different engines get one each). Throws one ConfigError (exit 2) listing every
 * unreadable template, forced engine that contradicts a template's syntax, syntax error and unknown function.
 */
export async function compileChosenTemplates(requests: readonly TemplateRequest[], options: ChooseOptions = {}): Promise<(request: TemplateRequest) => ChosenTemplate> {
  const { cacheDir, setting = 'auto' } = options;
  const jobs = readJobs(requests, setting);
  const problems: string[] = [];
  const list = [...jobs.values()];
  const chosen = await choices(list, cacheDir, problems);
  const byEngine = (engine: TemplateEngine): Job[] => [...new Map(list.filter((_, i) => chosen[i]?.engine === engine).map((j) => [j.file, j])).values()];
  const handlebarsJobs = byEngine('handlebars');
  const goJobs = byEngine('go');
  let handlebars = new Map<string, CompiledTemplate>();
  let go = new Map<string, CompiledTemplate>();
  try {
    if (handlebarsJobs.length > 0) handlebars = await compileTemplates(handlebarsJobs, { cacheDir });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(await withGoHints(error, handlebarsJobs));
  }
  if (goJobs.length > 0) {
    const result = (await goBundle()).compileGoTemplates(goJobs, cacheDir);
    if (result.problems) problems.push(...result.problems);
    else go = new Map([...result.templates].map(([file, template]) => [file, withKeyplateErrors(template)]));
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  const templates = new Map<string, ChosenTemplate>();
  list.forEach((job, i) => {
    const choice = chosen[i]!;
    const compiled = (choice.engine === 'go' ? go : handlebars).get(job.file)!;
    // A Go template works its literal reads out when asked, so the choice goes on top of it, not on a copy. A
    // Handlebars one is plain data, copied: an object made the prototype of another costs V8 a map of its own,
    // which at 100 templates was ~0.3 ms of a start.
    const key = `${job.forced?.engine ?? ''}\0${job.file}`;
    templates.set(key, choice.engine === 'go' ? Object.assign(Object.create(compiled) as CompiledTemplate, choice) : { ...compiled, ...choice });
  });
  return (request) => templates.get(`${forcedFor(request, setting)?.engine ?? ''}\0${request.file}`)!;
}
