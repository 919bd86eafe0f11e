// After a batch of writes: run each distinct reload_cmd once (several resources may share one).
import { describeFailure, runShell } from '../process/commands.js';
import type { AgentEvents } from '../ops/events.js';
import type { Logger } from '../ops/log.js';
import type { Resource } from '../resources/resource.js';

export interface ReloadTarget {
  /** Send a signal to the supervised command, or restart it (set when keyplate runs a command). */
  signal?(signal: string): void;
  restart?(): Promise<void>;
}

/** Returns the resources whose reload failed, so the caller can retry them on the next change. */
export async function reloadChanged(
  changed: readonly Resource[],
  log: Logger,
  target?: ReloadTarget,
  events?: AgentEvents,
  /** Hides backend values in command output before it is logged. */
  redact: (text: string, resources: readonly Resource[]) => string = (t) => t,
): Promise<Resource[]> {
  const failed: Resource[] = [];
  const byCommand = new Map<string, Resource[]>();
  const signals = new Set<string>();
  let restart = false;
  for (const r of changed) {
    if (r.reloadCmd) byCommand.set(r.reloadCmd, [...(byCommand.get(r.reloadCmd) ?? []), r]);
    else if (r.reloadSignal && target?.signal) signals.add(r.reloadSignal);
    else if (r.restart && target?.restart) restart = true;
  }
  for (const [command, resources] of byCommand) {
    const names = resources.map((r) => r.name).join(', ');
    const timeout = Math.max(...resources.map((r) => r.reloadTimeout));
    const result = await runShell(command, { timeout });
    if (result.ok) {
      log.info('reloaded', { resource: names });
      for (const r of resources) events?.emit('reloaded', { resource: r.name });
      if (result.output) log.debug(`reload_cmd output:\n${redact(result.output, resources)}`, { resource: names });
    } else {
      log.error(`reload_cmd ${describeFailure(result, timeout)}; will retry on the next change${result.output ? `\n${redact(result.output, resources)}` : ''}`, { resource: names });
      failed.push(...resources);
      for (const r of resources) events?.emit('reloadFailed', { resource: r.name });
    }
  }
  if (restart) {
    log.info('restarting the command');
    await target!.restart!();
  } else {
    for (const sig of signals) {
      log.info(`sending ${sig} to the command`);
      target!.signal!(sig);
    }
  }
  return failed;
}
