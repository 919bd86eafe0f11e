// `keyplate check`: validate a confdir (done by loading it) and report what each resource would read, without writing.
import { promises as fs, constants as fsc } from 'node:fs';
import { dirname } from 'node:path';
import { ExitCode } from '../errors.js';
import type { LoadedResource } from '../resources/confdir.js';
import { readStore, type RunContext } from './pipeline.js';
import { renderResource } from '../template/render.js';
import type { Io } from '../cli/cli.js';

export async function checkConfdir(ctx: RunContext, loaded: readonly LoadedResource[], io: Io): Promise<number> {
  const problems: string[] = [];
  for (const { resource } of loaded) {
    const dir = dirname(resource.dest);
    try {
      await fs.access(dir, fsc.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`${resource.file}: dest directory ${dir} ${code === 'ENOENT' ? 'does not exist' : 'is not writable by this user'}`);
    }
  }
  let lines: string[] = [];
  try {
    const store = await readStore(ctx.backend, loaded);
    for (const l of loaded) {
      try {
        const r = await renderResource(l, store, ctx.environment);
        const missing = r.missingKeys.length ? `; missing: ${r.missingKeys.map((k) => `${k}${ctx.backend.hintForKey ? ` (${ctx.backend.hintForKey(k)})` : ''}`).join(', ')}` : '';
        lines.push(`${l.resource.name} → ${l.resource.dest}: uses ${[...r.usedKeys, ...r.usedPatterns, ...r.usedDirs].join(', ') || 'no keys'}${missing}`);
        if (r.undeclaredKeys.length) problems.push(`${l.resource.file}: the template reads ${r.undeclaredKeys.join(', ')}, outside this resource's keys; add them to keys`);
      } catch (error) {
        problems.push(`${l.resource.name}: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    lines = loaded.map((l) => `${l.resource.name} → ${l.resource.dest}`);
    ctx.log.warn(`backend not reachable, so keys were not checked: ${(error as Error).message}`);
  }
  io.stdout(lines.map((l) => l + '\n').join(''));
  if (problems.length > 0) {
    ctx.log.error(`confdir has problems:\n${problems.join('\n')}`);
    return ExitCode.usage;
  }
  io.stdout(`ok: ${loaded.length} resource${loaded.length === 1 ? '' : 's'}\n`);
  return ExitCode.ok;
}
