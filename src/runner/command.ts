// A run with a command after `--`: after --onetime, render then hand over to the command (exec); in watch mode, start
// it once every resource has rendered and supervise it. Loaded only when there is a command.
import { ExitCode } from '../errors.js';
import { execCommand, startReaperIfInit, SupervisedCommand, type CommandSettings } from '../process/supervise.js';
import type { RunnerOptions } from './run-options.js';
import { Runner } from './runner.js';
import { signalExitCode, wireSignals, type StopSignal } from './signals.js';

/**
 * Run `options` with `command`: supervised in watch mode, exec'd after a successful --onetime render. `closeRun` closes
 * what the run opened (operations server, backend) before the hand-over. As PID 1, orphaned zombies are reaped.
 */
export async function runCommand(options: RunnerOptions, command: CommandSettings, closeRun: () => Promise<void>): Promise<number> {
  const stopReaper = await startReaperIfInit(command.log);
  try {
    if (options.mode === 'watch') return await superviseCommand(options, command);
    return await renderThenExec(options, command, closeRun);
  } finally {
    stopReaper();
  }
}

/**
 * --onetime -- command: render, then hand over to the command. A failed render, missing keys or a stop signal
 * (until the very moment of the hand-over) mean the command never starts.
 */
async function renderThenExec(options: RunnerOptions, command: CommandSettings, closeRun: () => Promise<void>): Promise<number> {
  const runner = new Runner(options);
  let stoppedBy: StopSignal | undefined;
  const wiring = wireSignals({
    onStop: (sig) => {
      stoppedBy ??= sig;
      runner.stop(signalExitCode(sig));
    },
    log: command.log,
    commandName: command.argv[0],
  });
  try {
    const code = await runner.run();
    if (code === 0 && !stoppedBy) await closeRun();
    if (stoppedBy) {
      command.log.error(`not starting ${command.argv[0]}: stopped by ${stoppedBy}`);
      return signalExitCode(stoppedBy);
    }
    if (code !== 0) {
      command.log.error(`not starting ${command.argv[0]}: the render failed (exit ${code})`);
      return code;
    }
    return await execCommand(command, () => wiring.dispose());
  } finally {
    wiring.dispose();
  }
}

/**
 * Watch mode with a command: the run starts it when every resource has rendered. Until then SIGTERM and SIGINT stop
 * keyplate (exit 128+N, the command never starts); afterwards they go to the command, and its exit ends the run with
 * its code. keyplate never exits while the command still runs.
 */
async function superviseCommand(options: RunnerOptions, settings: CommandSettings): Promise<number> {
  const command = await SupervisedCommand.create(settings);
  let commandCode: number | undefined;
  const runner: Runner = new Runner({
    ...options,
    hooks: { onGoal: () => start(), reloadTarget: () => (command.running ? command : undefined), commandName: settings.argv[0] },
  });
  let stoppedBy: StopSignal | undefined;
  let started = false;
  const wiring = wireSignals({
    onStop: (sig) => {
      stoppedBy ??= sig;
      runner.stop(signalExitCode(sig));
    },
    log: settings.log,
    commandName: settings.argv[0],
    reloadSignal: settings.reloadSignal,
    onReload: () => void runner.reloadConfdir('signal'),
  });
  const start = async (): Promise<void> => {
    if (runner.stopping) return;
    try {
      await command.start();
      started = true;
    } catch (error) {
      settings.log.error((error as Error).message);
      commandCode = (error as { exitCode?: number }).exitCode ?? ExitCode.resourceFailed;
      runner.stop(commandCode);
      return;
    }
    if (runner.stopping) return; // stopped while it was starting: closed below
    wiring.releaseStop();
    command.forwardSignals();
    void command.exited().then((code) => {
      commandCode = code;
      runner.stop(code);
    });
  };
  try {
    const code = await runner.run();
    // As --onetime says it: a stop signal before the command started means it never will.
    if (stoppedBy && !started && commandCode === undefined) settings.log.error(`not starting ${settings.argv[0]}: stopped by ${stoppedBy}`);
    // The command's own end decides; else the run ended first (wait timeout, backend gave up, a signal before it ran).
    return commandCode ?? code;
  } finally {
    wiring.dispose();
    await command.close();
  }
}
