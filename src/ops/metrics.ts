// Prometheus metrics fed by AgentEvents, in a registry of our own; prom-client is loaded only when the server starts.
import type { Counter as CounterMetric } from 'prom-client';
import type { AgentEventMap, AgentEvents } from './events.js';

export interface AgentMetrics {
  contentType: string;
  /** The exposition text for one scrape. */
  scrape(): Promise<string>;
  /** Stop listening to the events (the registry stays readable). */
  detach(): void;
}

// Renders take milliseconds; a slow one (a big template, a DNS lookup) may take seconds.
const renderBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const watchKinds = ['put', 'delete', 'reset'] as const;

type PromClient = typeof import('prom-client');

/** keyplate's own series, registered in `register`. */
function defineMetrics({ Counter, Gauge, Histogram }: PromClient, register: import('prom-client').Registry) {
  const perResource = (name: string, help: string): CounterMetric<'resource'> =>
    new Counter({ name: `keyplate_${name}`, help, labelNames: ['resource'], registers: [register] });
  const gauge = <L extends string>(name: string, help: string, label: L) =>
    new Gauge({ name: `keyplate_${name}`, help, labelNames: [label], registers: [register] });
  return {
    renders: perResource('renders_total', 'Template renders finished, with or without missing keys.'),
    writes: perResource('writes_total', 'Destination files replaced.'),
    renderFailures: perResource('render_failures_total', 'Template renders that failed with an error.'),
    checkFailures: perResource('check_failures_total', 'Staged files rejected by check_cmd.'),
    reloadFailures: perResource('reload_failures_total', 'reload_cmd or reload_signal failures.'),
    reloads: perResource('reloads_total', 'Successful reloads after a write.'),
    missingKeys: gauge('missing_keys', 'Keys the last render of the resource waited for (0 when it had everything).', 'resource'),
    lastSuccess: gauge('last_render_success_timestamp_seconds', 'Unix time of the last render of the resource with every key present.', 'resource'),
    renderDuration: new Histogram({
      name: 'keyplate_render_duration_seconds',
      help: 'Time to render one template.',
      labelNames: ['resource'],
      buckets: renderBuckets,
      registers: [register],
    }),
    backendUp: gauge('backend_up', '1 while the backend answers, 0 while it is unreachable.', 'backend'),
    watchEvents: new Counter({
      name: 'keyplate_watch_events_total',
      help: 'Changes reported by the backend watch or poll, by kind.',
      labelNames: ['kind'],
      registers: [register],
    }),
  };
}

/** A registry of keyplate's metrics (plus the process's own), fed by `events` until detached; loads prom-client. */
export async function createAgentMetrics(events: AgentEvents): Promise<AgentMetrics> {
  const client = await import('prom-client');
  const register = new client.Registry();
  // Process metrics keep their standard names (process_*, nodejs_*) so stock dashboards work.
  client.collectDefaultMetrics({ register });
  const m = defineMetrics(client, register);

  // Series exist from the first scrape, so rate() and alerts on absence work before anything happens.
  const initial = events.snapshot();
  for (const { name } of initial.resources) {
    for (const counter of [m.renders, m.writes, m.renderFailures, m.checkFailures, m.reloadFailures, m.reloads]) counter.inc({ resource: name }, 0);
    m.missingKeys.set({ resource: name }, 0);
  }
  for (const kind of watchKinds) m.watchEvents.inc({ kind }, 0);
  let backendName = initial.backend.name;
  m.backendUp.set({ backend: backendName }, initial.backend.up ? 1 : 0);

  const listeners: { [K in keyof AgentEventMap]?: (...args: AgentEventMap[K]) => void } = {
    render: ({ resource, durationMs, missingKeys: missing }) => {
      m.renders.inc({ resource });
      m.renderDuration.observe({ resource }, durationMs / 1000);
      m.missingKeys.set({ resource }, missing);
      if (missing === 0) m.lastSuccess.set({ resource }, Date.now() / 1000);
    },
    write: ({ resource }) => m.writes.inc({ resource }),
    renderFailed: ({ resource }) => m.renderFailures.inc({ resource }),
    checkFailed: ({ resource }) => m.checkFailures.inc({ resource }),
    reloadFailed: ({ resource }) => m.reloadFailures.inc({ resource }),
    reloaded: ({ resource }) => m.reloads.inc({ resource }),
    watchEvent: ({ kind }) => m.watchEvents.inc({ kind }),
    backend: ({ up }) => {
      const name = events.snapshot().backend.name;
      if (name !== backendName) {
        m.backendUp.reset();
        backendName = name;
      }
      m.backendUp.set({ backend: backendName }, up ? 1 : 0);
    },
  };
  const entries = Object.entries(listeners) as [keyof AgentEventMap, (...args: unknown[]) => void][];
  for (const [event, listener] of entries) events.on(event, listener as never);

  return {
    contentType: register.contentType,
    scrape: () => register.metrics(),
    detach: () => {
      for (const [event, listener] of entries) events.off(event, listener as never);
    },
  };
}
