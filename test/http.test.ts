// The operations server over real HTTP: metrics move with agent events; health and readiness follow the snapshot.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentEvents, type ResourceStatus, type StatusSnapshot } from '../src/ops/events.js';
import { healthOf, parseListenAddress, readinessOf, startOperationsServer, type OperationsServer } from '../src/ops/http.js';

function resource(name: string, overrides: Partial<ResourceStatus> = {}): ResourceStatus {
  return { name, dest: `/etc/${name.replace(/\.toml$/, '.conf')}`, rendered: true, missingKeys: [], ...overrides };
}

function snapshotWith(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const now = new Date().toISOString();
  return {
    startedAt: now,
    backend: { name: 'etcd', up: true, synced: true },
    resources: [resource('nginx.toml'), resource('app.toml')],
    lastLoopAt: now,
    ...overrides,
  };
}

/** One sample's value from exposition text, e.g. sample(text, 'keyplate_writes_total', { resource: 'app.toml' }). */
function sample(metricsText: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metricsText.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

let events: AgentEvents;
let state: StatusSnapshot;
let server: OperationsServer;

beforeEach(async () => {
  events = new AgentEvents();
  state = snapshotWith();
  events.snapshot = () => state;
  server = await startOperationsServer({ address: '127.0.0.1:0', events });
});

afterEach(async () => {
  await server.close();
});

const scrape = async (): Promise<string> => {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
};

describe('/metrics', () => {
  it('speaks the Prometheus text format with HELP and TYPE for every keyplate metric', async () => {
    const text = await scrape();
    for (const [name, type] of [
      ['keyplate_renders_total', 'counter'],
      ['keyplate_writes_total', 'counter'],
      ['keyplate_render_failures_total', 'counter'],
      ['keyplate_check_failures_total', 'counter'],
      ['keyplate_reload_failures_total', 'counter'],
      ['keyplate_reloads_total', 'counter'],
      ['keyplate_missing_keys', 'gauge'],
      ['keyplate_last_render_success_timestamp_seconds', 'gauge'],
      ['keyplate_render_duration_seconds', 'histogram'],
      ['keyplate_backend_up', 'gauge'],
      ['keyplate_watch_events_total', 'counter'],
    ]) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
    // The process's own metrics come along, under their standard names.
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('has a zero series for every known resource and watch kind before anything happens', async () => {
    const text = await scrape();
    expect(sample(text, 'keyplate_renders_total', { resource: 'nginx.toml' })).toBe(0);
    expect(sample(text, 'keyplate_writes_total', { resource: 'app.toml' })).toBe(0);
    expect(sample(text, 'keyplate_watch_events_total', { kind: 'delete' })).toBe(0);
    expect(sample(text, 'keyplate_backend_up', { backend: 'etcd' })).toBe(1);
  });

  it('counts renders, writes and failures per resource as events arrive', async () => {
    events.emit('render', { resource: 'nginx.toml', durationMs: 3, missingKeys: 0 });
    events.emit('render', { resource: 'nginx.toml', durationMs: 40, missingKeys: 0 });
    events.emit('render', { resource: 'app.toml', durationMs: 1, missingKeys: 2 });
    events.emit('write', { resource: 'nginx.toml', changes: ['content'] });
    events.emit('checkFailed', { resource: 'app.toml' });
    events.emit('renderFailed', { resource: 'app.toml' });
    events.emit('reloadFailed', { resource: 'nginx.toml' });
    events.emit('reloaded', { resource: 'nginx.toml' });
    const text = await scrape();
    expect(sample(text, 'keyplate_renders_total', { resource: 'nginx.toml' })).toBe(2);
    expect(sample(text, 'keyplate_renders_total', { resource: 'app.toml' })).toBe(1);
    expect(sample(text, 'keyplate_writes_total', { resource: 'nginx.toml' })).toBe(1);
    expect(sample(text, 'keyplate_writes_total', { resource: 'app.toml' })).toBe(0);
    expect(sample(text, 'keyplate_check_failures_total', { resource: 'app.toml' })).toBe(1);
    expect(sample(text, 'keyplate_render_failures_total', { resource: 'app.toml' })).toBe(1);
    expect(sample(text, 'keyplate_reload_failures_total', { resource: 'nginx.toml' })).toBe(1);
    expect(sample(text, 'keyplate_reloads_total', { resource: 'nginx.toml' })).toBe(1);
  });

  it('tracks missing keys, the last successful render time and render durations', async () => {
    const before = Date.now() / 1000;
    events.emit('render', { resource: 'app.toml', durationMs: 2, missingKeys: 3 });
    let text = await scrape();
    expect(sample(text, 'keyplate_missing_keys', { resource: 'app.toml' })).toBe(3);
    // A render that still waits for keys is not a success.
    expect(sample(text, 'keyplate_last_render_success_timestamp_seconds', { resource: 'app.toml' })).toBeUndefined();

    events.emit('render', { resource: 'app.toml', durationMs: 30, missingKeys: 0 });
    text = await scrape();
    expect(sample(text, 'keyplate_missing_keys', { resource: 'app.toml' })).toBe(0);
    const at = sample(text, 'keyplate_last_render_success_timestamp_seconds', { resource: 'app.toml' })!;
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now() / 1000);
    expect(sample(text, 'keyplate_render_duration_seconds_count', { resource: 'app.toml' })).toBe(2);
    expect(sample(text, 'keyplate_render_duration_seconds_sum', { resource: 'app.toml' })).toBeCloseTo(0.032);
    expect(sample(text, 'keyplate_render_duration_seconds_bucket', { resource: 'app.toml', le: '0.005' })).toBe(1);
    expect(sample(text, 'keyplate_render_duration_seconds_bucket', { resource: 'app.toml', le: '+Inf' })).toBe(2);
  });

  it('follows the backend going down and up, and counts watch events by kind', async () => {
    events.emit('backend', { up: false });
    events.emit('watchEvent', { kind: 'put' });
    events.emit('watchEvent', { kind: 'put' });
    events.emit('watchEvent', { kind: 'reset' });
    let text = await scrape();
    expect(sample(text, 'keyplate_backend_up', { backend: 'etcd' })).toBe(0);
    expect(sample(text, 'keyplate_watch_events_total', { kind: 'put' })).toBe(2);
    expect(sample(text, 'keyplate_watch_events_total', { kind: 'reset' })).toBe(1);
    events.emit('backend', { up: true });
    text = await scrape();
    expect(sample(text, 'keyplate_backend_up', { backend: 'etcd' })).toBe(1);
  });

  it('escapes label values that need it', async () => {
    events.emit('write', { resource: 'we"ird\\name.toml', changes: [] });
    expect(await scrape()).toContain('keyplate_writes_total{resource="we\\"ird\\\\name.toml"} 1');
  });

  it('stops counting once the server is closed', async () => {
    await server.close();
    expect(events.listenerCount('render')).toBe(0);
    expect(events.listenerCount('backend')).toBe(0);
  });
});

describe('/healthz', () => {
  it('is 200 ok while the loop turns', async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('is 503 when the loop has not turned for over 30s', async () => {
    const lastLoopAt = new Date(Date.now() - 45_000).toISOString();
    state = snapshotWith({ lastLoopAt });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'stalled', lastLoopAt, secondsSinceLastLoop: 45 });
  });

  it.each([
    ['just now', 0, 'ok'],
    ['29s ago', 29_000, 'ok'],
    ['31s ago', 31_000, 'stalled'],
  ])('counts a loop that turned %s as %s', (_, ageMs, status) => {
    const now = new Date('2030-01-01T00:00:40Z');
    expect(healthOf(snapshotWith({ lastLoopAt: new Date(now.getTime() - ageMs).toISOString() }), now).status).toBe(status);
  });
});

describe('/readyz', () => {
  it('is 200 when every resource rendered and the backend is up', async () => {
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });
  });

  it('is 503 naming the resources that wait and the keys they wait for', async () => {
    state = snapshotWith({
      resources: [
        resource('nginx.toml'),
        resource('app.toml', { rendered: false, missingKeys: ['/database/host', '/database/port'] }),
        resource('broken.toml', { rendered: false, lastError: 'templates/broken.tmpl:3: unknown helper `foo`' }),
      ],
    });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'not ready',
      reason: 'waiting for keys',
      resources: [
        { name: 'app.toml', dest: '/etc/app.conf', waitingFor: ['/database/host', '/database/port'] },
        { name: 'broken.toml', dest: '/etc/broken.conf', waitingFor: [], error: 'templates/broken.tmpl:3: unknown helper `foo`' },
      ],
    });
  });

  it('is 503 naming the backend while it is down, even with every resource rendered', async () => {
    state = snapshotWith({ backend: { name: 'consul', up: false, synced: true } });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', reason: 'backend down', backend: { name: 'consul', up: false }, resources: [] });
  });

  it('says a resource failed when that is all that keeps it from ready', () => {
    const s = snapshotWith({ resources: [resource('broken.toml', { rendered: false, lastError: 'templates/broken.tmpl:3: unknown helper `foo`' })] });
    expect(readinessOf(s)).toMatchObject({ status: 'not ready', reason: 'a resource failed', resources: [{ name: 'broken.toml', error: expect.stringContaining('unknown helper') }] });
  });

  it('counts a resource that rendered once and now waits again as ready (its file is in place)', () => {
    const s = snapshotWith({ resources: [resource('app.toml', { rendered: true, missingKeys: ['/database/host'] })] });
    expect(readinessOf(s)).toEqual({ status: 'ready' });
  });
});

describe('routing', () => {
  it.each(['/nope', '/metrics/', '/healthz/x', '/favicon.ico'])('answers 404 for %s', async (path) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('/metrics');
  });

  it('ignores the query string', async () => {
    expect((await fetch(`${server.url}/healthz?probe=1`)).status).toBe(200);
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await fetch(`${server.url}/readyz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await res.text()).toBe('');
  });

  it.each(['POST', 'PUT', 'DELETE'])('refuses %s with 405 and Allow', async (method) => {
    const res = await fetch(`${server.url}/metrics`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves the status page as HTML that may run no script', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await res.text()).toContain('nginx.toml');
  });
});

describe('startOperationsServer', () => {
  it('close is idempotent and returns the same promise', async () => {
    const other = await startOperationsServer({ address: '127.0.0.1:0', events: new AgentEvents() });
    const first = other.close();
    expect(other.close()).toBe(first);
    await first;
    await expect(fetch(`${other.url}/healthz`)).rejects.toThrow();
  });

  it('closes even while a scraper holds a keep-alive connection', async () => {
    const other = await startOperationsServer({ address: '127.0.0.1:0', events: new AgentEvents() });
    await (await fetch(`${other.url}/metrics`)).text();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('logs where it listens', async () => {
    const lines: string[] = [];
    const other = await startOperationsServer({
      address: '127.0.0.1:0',
      events: new AgentEvents(),
      log: { info: (m) => lines.push(m), warn: (m) => lines.push(m) },
    });
    await other.close();
    expect(lines).toEqual([expect.stringContaining(other.url)]);
  });

  it('says which address is taken', async () => {
    const port = new URL(server.url).port;
    await expect(startOperationsServer({ address: `127.0.0.1:${port}`, events })).rejects.toThrow(
      `metrics-addr: cannot listen on 127.0.0.1:${port} (EADDRINUSE)`,
    );
    // The failed start left no listeners behind.
    expect(events.listenerCount('render')).toBe(1);
  });

  it.each([
    ['127.0.0.1:9100', { host: '127.0.0.1', port: 9100 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    [':9100', { host: undefined, port: 9100 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
  ])('parses %s', (address, expected) => {
    expect(parseListenAddress(address)).toEqual(expected);
  });

  it.each(['9100', '127.0.0.1', '127.0.0.1:99999', '::1:9100', 'host:port'])('rejects %s with an example', (address) => {
    expect(() => parseListenAddress(address)).toThrow(/^metrics-addr: expected HOST:PORT such as 127\.0\.0\.1:9100/);
  });
});
