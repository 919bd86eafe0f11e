// What the agent reports as it works: metrics, the status page and tests subscribe; nothing here carries a value.
import { EventEmitter } from 'node:events';

export interface ResourceStatus {
  name: string;
  dest: string;
  /** Rendered at least once with every key present. */
  rendered: boolean;
  lastRenderAt?: string;
  lastChanges?: string[];
  missingKeys: string[];
  lastError?: string;
}

export interface StatusSnapshot {
  startedAt: string;
  backend: { name: string; up: boolean; synced: boolean };
  resources: ResourceStatus[];
  /** The loop's last turn (for /healthz). */
  lastLoopAt: string;
}

export type AgentEventMap = {
  /** One template render finished (successfully or with missing keys). */
  render: [{ resource: string; durationMs: number; missingKeys: number }];
  /** A destination was replaced. */
  write: [{ resource: string; changes: string[] }];
  checkFailed: [{ resource: string }];
  renderFailed: [{ resource: string }];
  reloadFailed: [{ resource: string }];
  reloaded: [{ resource: string }];
  /** A put/delete/reset arrived from the backend watch (or a poll). */
  watchEvent: [{ kind: 'put' | 'delete' | 'reset' }];
  backend: [{ up: boolean }];
};

/** What the run reports as it works (AgentEventMap), and how to read its state now (snapshot). */
export class AgentEvents extends EventEmitter<AgentEventMap> {
  /** Set by the running loop: how to read the current state. */
  snapshot: () => StatusSnapshot = () => ({
    startedAt: new Date().toISOString(),
    backend: { name: 'unknown', up: false, synced: false },
    resources: [],
    lastLoopAt: new Date().toISOString(),
  });
}
