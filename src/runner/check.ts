// `keyplate check`: load the confdir as a run does, read the keys once, render every resource as a run would, and
// write nothing. Exit 0 only when every resource would render: 2 for config problems, 1 when the backend cannot be
// read or a resource would fail (a dest directory that is missing or not writable too, as in a run), 3 when keys are
// missing.
import { promises as fs, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/config.js';
import { ExitCode } from '../errors.js';
import { KeyStore } from '../keys/store.js';
import type { Logger } from '../ops/log.js';
import type { Io } from '../ops/output.js';
import type { LoadedResource } from '../resources/confdir.js';
import { followDest, unexpandedTilde } from '../resources/destination.js';
import { renderOutcome, shownKeys } from './pipeline.js';
import { prepare } from './setup.js';
import { prefixesOf } from './state.js';
import { silentAfterMs } from './connection.js';
import { formatDuration } from '../config/duration.js';

/** Run `keyplate check` and return its exit code; prints one line per resource, and `ok: N resources` when all is well. */
export async function checkConfdir(config: Config, processEnv: NodeJS.ProcessEnv, log: Logger, io: Io): Promise<number> {
  const { loaded, backend, backendLabel, pipeline } = await prepare(config, processEnv, log, io);
  try {
    const problems = await destinationProblems(loaded);
    let store: KeyStore;
    try {
      const prefixes = prefixesOf(loaded);
      const keyOf = backend.keyOf?.bind(backend);
      store = prefixes.length === 0 ? new KeyStore(undefined, keyOf) : KeyStore.adopt(await sayWhenSilent(backend.getValues(prefixes), backendLabel, log), keyOf);
    } catch (error) {
      io.stdout(loaded.map((l) => `${l.resource.name} → ${l.resource.dest}\n${engineLine(l)}`).join(''));
      reportProblems(problems, log);
      log.error(`cannot read backend ${backendLabel}, so no key was checked: ${(error as Error).message}`);
      return ExitCode.resourceFailed;
    }
    // A key shown by its template position (computed by the template) gets no hint: the hint would name it.
    const hint = (key: string): string => (backend.hintForKey && key.startsWith('/') ? `${key} (${backend.hintForKey(key)})` : key);
    const lines: string[] = [];
    const missing: string[] = [];
    let failed = 0;
    for (const l of loaded) {
      const outcome = await renderOutcome(pipeline, l, store);
      const r = outcome.render;
      // A render that fails stops part way: what it would read is not known (the error is logged with its position).
      const uses = r ? `uses ${shownKeys([...r.usedKeys, ...r.usedPatterns, ...r.usedDirs], r, store).join(', ') || 'no keys'}` : 'fails to render (the error is logged), so the keys it reads are not known';
      const lacks = outcome.missingKeys.length > 0 ? `; missing: ${outcome.missingKeys.map(hint).join(', ')}` : '';
      lines.push(`${l.resource.name} → ${l.resource.dest}: ${uses}${lacks}\n${engineLine(l)}`);
      missing.push(...outcome.missingKeys.map((k) => `${l.resource.name}: missing ${hint(k)}`));
      if (outcome.error) failed++;
    }
    io.stdout(lines.join(''));
    return verdict(loaded.length, problems, failed, missing, log, io);
  } finally {
    await backend.close();
  }
}

/** `read`, with a warning once it has gone silentAfterMs without an answer (an address that accepts and says nothing). */
async function sayWhenSilent<T>(read: Promise<T>, label: string, log: Logger): Promise<T> {
  const timer = setTimeout(() => log.warn(`backend ${label} has not answered in ${formatDuration(silentAfterMs)}; check --node and that the backend is running; still waiting`), silentAfterMs);
  try {
    return await read;
  } finally {
    clearTimeout(timer);
  }
}

/** The line under a resource that says which engine renders its template and why. */
function engineLine({ resource, template }: LoadedResource): string {
  return `  ${resource.srcName}: engine ${template.engine} (${template.why})\n`;
}

/**
 * Destination directories that do not exist or cannot be written: found before any render. A run fails such a
 * resource (exit 1) when it writes, so check counts them as resources that would fail, not as config problems.
 */
async function destinationProblems(loaded: readonly LoadedResource[]): Promise<string[]> {
  const problems: string[] = [];
  for (const { resource } of loaded) {
    // Through a symlinked dest, the file is written beside its target: that directory must exist and be writable.
    const dir = dirname(followDest(resource.dest).path);
    try {
      await fs.access(dir, fsc.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${resource.file}: dest directory ${dir} ${code === 'ENOENT' ? `does not exist${unexpandedTilde(dir)}` : 'is not writable by this user'}`);
    }
  }
  return problems;
}

function reportProblems(problems: readonly string[], log: Logger): void {
  if (problems.length > 0) log.error(`these resources would fail to write:\n${problems.join('\n')}`);
}

/** Failures decide first (1: a render or a dest directory), then missing keys (3); else ok (0). */
function verdict(count: number, problems: readonly string[], failed: number, missing: readonly string[], log: Logger, io: Io): number {
  reportProblems(problems, log);
  if (problems.length > 0 && failed === 0) return ExitCode.resourceFailed;
  if (failed > 0) {
    log.error(`${failed} resource${failed === 1 ? '' : 's'} would fail to render (see above)`);
    return ExitCode.resourceFailed;
  }
  if (missing.length > 0) {
    log.error(`keys are missing, so these resources would wait:\n${missing.join('\n')}`);
    return ExitCode.missingKeys;
  }
  io.stdout(`ok: ${count} resource${count === 1 ? '' : 's'}\n`);
  return ExitCode.ok;
}
