// What a run is made of (src/runner/runner.ts): its mode, backend, resources and settings, and the hooks a command
// around it uses.
import type { Backend } from '../../backends/types.js';
import type { LoadedResource } from '../resources/confdir.js';
import type { Quiescence } from '../resources/resource.js';
import type { PipelineContext } from './pipeline.js';
import type { ReloadTarget } from './reload.js';

/** once: stop when every resource has rendered or failed; watch: keep following changes. */
export type RunMode = 'once' | 'watch';

/** What a command around the run needs: to start at the goal, and to be signalled or restarted on change. */
export interface RunnerHooks {
  /** Watch mode: every resource has rendered once (the moment to start the command). Called once. */
  onGoal?: () => void | Promise<void>;
  /** The program onGoal starts, for the line that says it waits when the first pass left resources unrendered. */
  commandName?: string;
  /** The running command, for reload_signal and restart; undefined while there is none. */
  reloadTarget?: () => ReloadTarget | undefined;
}

/** Everything a run is made of; see RunMode for how it ends. */
export interface RunnerOptions {
  mode: RunMode;
  backend: Backend;
  /** How logs name the backend with its nodes: `etcd (http://127.0.0.1:2379)`. */
  backendLabel: string;
  /** Said once as watch mode starts (backends/index.ts watchNote). */
  watchNote?: string;
  pipeline: PipelineContext;
  /** The confdir and global prefix, to read the confdir again when it changes. */
  confdir: string;
  prefix: string;
  /** The template_engine setting, to read the confdir again as it was read at start. */
  templateEngine?: 'auto' | 'go' | 'handlebars';
  resources: LoadedResource[];
  /** --interval (ms): poll instead of watching. */
  pollIntervalMs?: number;
  /** --wait-timeout (ms). */
  waitTimeoutMs?: number;
  /** --backend-retry-timeout (ms), for what the log says about retrying; the backend itself gives up. */
  backendRetryTimeoutMs?: number;
  /** --wait-min/--wait-max, for resources without their own `wait`. */
  quiescence: Quiescence;
  /** Run reload_cmd and reload signals after writes (off with --noop and --sync-only). */
  runReloads: boolean;
  hooks?: RunnerHooks;
}
