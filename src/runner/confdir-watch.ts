// The confdir and env files as a source of change: chokidar, with edits settling for 100 ms before a reload.
import type { Config } from '../config/config.js';
import type { Logger } from '../ops/log.js';

/** chokidar on conf.d, templates and env files; edits settle for 100 ms before a reload. */
export async function watchFiles(config: Config, onChange: (what: 'confdir' | 'env') => void, log: Logger): Promise<() => Promise<void>> {
  const { watch } = await import('chokidar');
  const confdirPaths = [`${config.confdir}/conf.d`, `${config.confdir}/templates`];
  const watcher = watch([...confdirPaths, ...config.envFiles], { ignoreInitial: true, awaitWriteFinish: false });
  const pending = new Map<'confdir' | 'env', NodeJS.Timeout>();
  watcher.on('all', (_event, file) => {
    const what = config.envFiles.includes(file) ? 'env' : 'confdir';
    clearTimeout(pending.get(what));
    pending.set(what, setTimeout(() => onChange(what), 100));
  });
  watcher.on('error', (error) => log.warn(`file watch error: ${(error as Error).message}`));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  let closing: Promise<void> | undefined;
  return () => (closing ??= (async () => {
    for (const t of pending.values()) clearTimeout(t);
    await watcher.close();
  })());
}
