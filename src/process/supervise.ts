// `keyplate … -- command`: start the command once every resource has rendered, reload or restart it on
// change, forward signals, and exit with its code; keyplate never exits while its command still runs.
import type { Config } from '../config/config.js';
import { ExitCode } from '../errors.js';
import type { LoadedResource } from '../resources/confdir.js';
import type { ReloadTarget } from '../runner/reload.js';
import type { RunContext } from '../runner/pipeline.js';

/** The reaper matters only as PID 1 (a container without --init); elsewhere it is not even loaded. */
export async function startReaperIfInit(ctx: RunContext): Promise<() => void> {
  if (process.pid !== 1) return () => {};
  const { startReaper } = await import('./reaper.js');
  return startReaper({ warn: (m) => ctx.log.warn(m) });
}

/** --onetime -- command: the render already succeeded; become the command, or supervise it. */
export async function execCommand(ctx: RunContext, config: Config): Promise<number> {
  const { execOrRun } = await import('./exec.js');
  // As PID 1 keyplate stays, as the container's init that reaps zombies, and supervises the command.
  const mode = process.pid === 1 ? 'child' : 'auto';
  const outcome = await execOrRun(config.command, {
    mode,
    killTimeout: config.killTimeout,
    env: ctx.processEnv,
    reloadSignal: null,
    onMode: (m, file) => ctx.log.debug(m === 'execve' ? `exec ${file} (keyplate is replaced, same pid)` : `running ${file} as a supervised child`),
  });
  return outcome.exitCode;
}

/** Watch mode with a command. */
export async function superviseCommand(ctx: RunContext, config: Config, loaded: LoadedResource[]): Promise<number> {
  const { Child, ChildError, forwardSignals } = await import('./child.js');
  const { watchLoop } = await import('../runner/runner.js');
  const child = new Child(config.command, { killTimeout: config.killTimeout, env: ctx.processEnv });
  const loop = new AbortController();
  const ownReload = (config.reloadSignal ?? null) as NodeJS.Signals | null;
  let reload: (() => void) | undefined;
  let restarting: Promise<unknown> | undefined;
  let commandCode: number | undefined;
  let stopForwarding: (() => void) | undefined;

  // Until the command runs, SIGTERM/SIGINT stop keyplate itself; afterwards they go to the command.
  const stopBeforeStart = (): void => loop.abort();
  process.once('SIGTERM', stopBeforeStart);
  process.once('SIGINT', stopBeforeStart);
  const onOwnReload = (): void => reload?.();
  if (ownReload) process.on(ownReload, onOwnReload);

  const followExit = async (): Promise<void> => {
    for (;;) {
      const code = await child.exited;
      if (restarting) {
        await restarting.catch(() => {});
        if (child.running) continue;
      }
      commandCode = code;
      ctx.log.info(`command exited with code ${code}`);
      loop.abort();
      return;
    }
  };

  const target: ReloadTarget = {
    signal: (sig) => {
      if (child.running) child.signal(sig as NodeJS.Signals);
    },
    restart: async () => {
      if (!child.running) return;
      restarting = child.restart();
      try {
        await restarting;
      } finally {
        restarting = undefined;
      }
    },
  };

  let startError: number | undefined;
  const start = async (): Promise<void> => {
    if (child.pid !== undefined || loop.signal.aborted) return;
    try {
      const pid = await child.start();
      ctx.log.info(`started ${config.command[0]} (pid ${pid})`);
    } catch (error) {
      ctx.log.error((error as Error).message);
      startError = error instanceof ChildError ? error.exitCode : ExitCode.resourceFailed;
      loop.abort();
      return;
    }
    process.off('SIGTERM', stopBeforeStart);
    process.off('SIGINT', stopBeforeStart);
    stopForwarding = forwardSignals(child, { reloadSignal: ownReload });
    void followExit();
  };

  try {
    const code = await watchLoop(ctx, config, loaded, {
      signal: loop.signal,
      onReady: start,
      reloadTarget: target,
      onReloadRequest: (r) => (reload = r),
    });
    if (startError !== undefined) return startError;
    if (commandCode !== undefined) return commandCode;
    // The loop ended first (wait timeout, backend gave up, or a signal before the command started).
    if (child.running) await child.stop();
    return code;
  } finally {
    stopForwarding?.();
    process.off('SIGTERM', stopBeforeStart);
    process.off('SIGINT', stopBeforeStart);
    if (ownReload) process.off(ownReload, onOwnReload);
    await child.close();
  }
}
