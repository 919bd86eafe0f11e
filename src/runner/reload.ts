// After a batch of writes: run each distinct reload_cmd once (several resources may share one), or signal or restart
// the command keyplate runs.
import { describeFailure, runShell } from '../process/commands.js';
import type { AgentEvents } from '../ops/events.js';
import type { Logger } from '../ops/log.js';
import type { Resource } from '../resources/resource.js';

/** The command keyplate runs, while it runs: what a resource's reload_signal or `restart` acts on. */
export interface ReloadTarget {
  signal(signal: string): void;
  restart(): Promise<void>;
}

/** Where reloads report, and what they may act on. */
export interface ReloadOptions {
  log: Logger;
  /** The running command; undefined when there is none, or it has not started yet (nothing to signal then). */
  target?: ReloadTarget;
  events?: AgentEvents;
  /** Hides every backend value keyplate holds in command output before it is logged. */
  redact: (text: string) => string;
  /** Watch mode: a failed reload is tried again on the next change, and the log says so. */
  retryLater: boolean;
}

/** Reload what changed; returns the resources whose reload_cmd failed, so the caller can retry them. */
export async function reloadChanged(changed: readonly Resource[], options: ReloadOptions): Promise<Resource[]> {
  const { log, target } = options;
  const byCommand = new Map<string, Resource[]>();
  const signals = new Set<string>();
  let restart = false;
  for (const r of changed) {
    if (r.reloadCmd) byCommand.set(r.reloadCmd, [...(byCommand.get(r.reloadCmd) ?? []), r]);
    else if (r.reloadSignal && target) signals.add(r.reloadSignal);
    else if (r.restart && target) restart = true;
  }
  const failed: Resource[] = [];
  for (const [command, resources] of byCommand) {
    if (!(await runReloadCommand(command, resources, options))) failed.push(...resources);
  }
  if (restart) {
    log.info('restarting the command');
    await target!.restart();
  } else {
    for (const sig of signals) {
      log.info(`sending ${sig} to the command`);
      target!.signal(sig);
    }
  }
  return failed;
}

/** One reload_cmd for the resources that share it; false when it failed (logged, with its output redacted). */
async function runReloadCommand(command: string, resources: readonly Resource[], { log, events, redact, retryLater }: ReloadOptions): Promise<boolean> {
  const names = resources.map((r) => r.name).join(', ');
  const timeoutMs = Math.max(...resources.map((r) => r.reloadTimeoutMs));
  const result = await runShell(command, { timeoutMs, label: `${names}'s reload_cmd` });
  if (result.ok) {
    log.info('reloaded', { resource: names });
    for (const r of resources) events?.emit('reloaded', { resource: r.name });
    // Redacting reads every value keyplate holds: only when the line is logged.
    if (result.output && log.enabled('debug')) log.debug(`reload_cmd output:\n${redact(result.output)}`, { resource: names });
    return true;
  }
  // --onetime: the new file is in place, so a second run finds it up to date and runs no reload_cmd (as confd).
  const files = resources.map((r) => r.dest).join(', ');
  const retry = retryLater
    ? '; will retry on the next change'
    : `; ${files} ${resources.length === 1 ? 'is' : 'are'} already updated, so running keyplate again will not reload: once the command works, run it by hand`;
  log.error(`reload_cmd ${describeFailure(result, timeoutMs)}${retry}${result.output ? `\n${redact(result.output)}` : ''}`, { resource: names });
  for (const r of resources) events?.emit('reloadFailed', { resource: r.name });
  return false;
}
