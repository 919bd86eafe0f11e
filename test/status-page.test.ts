// The status page as a person sees it: served over HTTP, loaded in headless Chromium, read back from the DOM.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentEvents, type StatusSnapshot } from '../src/ops/events.js';
import { startOperationsServer, type OperationsServer } from '../src/ops/http.js';

const chromium = '/usr/bin/chromium';
const hostileName = '<img src=x onerror="document.title=1">&amp;<b>bold</b>.toml';

let server: OperationsServer;
let state: StatusSnapshot;
let profile: string;

beforeAll(() => {
  if (!existsSync(chromium)) {
    throw new Error(`${chromium} is missing: run \`apt-get install -y chromium\` (or \`bash scripts/install-chromium.sh\`, which CI calls) and rerun`);
  }
});

beforeEach(async () => {
  profile = mkdtempSync(path.join(os.tmpdir(), 'keyplate-chromium-'));
  const events = new AgentEvents();
  state = events.snapshot();
  events.snapshot = () => state;
  server = await startOperationsServer({ address: '127.0.0.1:0', events });
});

afterEach(async () => {
  await server?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** The DOM after Chromium parsed and loaded the page, serialized. */
async function renderedDom(url: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    chromium,
    [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, '--dump-dom', url,
    ],
    { timeout: 45_000, maxBuffer: 8 * 1024 * 1024 },
  );
  return stdout;
}

/** Text content of a serialized fragment: tags become spaces, whitespace collapses, the serializer's escapes are undone. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&')
    .trim();
}

interface Row {
  state: string;
  name: string;
  dest: string;
  waitingFor: string[];
  error: string;
  html: string;
}

function resourceRows(dom: string): Row[] {
  return [...dom.matchAll(/<tr class="resource (\w+)">([\s\S]*?)<\/tr>/g)].map(([, state, html]) => {
    const cell = (name: string): string => [...html.matchAll(/<td class="([^"]+)">([\s\S]*?)<\/td>/g)].find((m) => m[1] === name)?.[2] ?? '';
    return {
      state,
      name: textOf(/<span class="resource-name">([\s\S]*?)<\/span>/.exec(html)?.[1] ?? ''),
      dest: textOf(cell('dest')),
      waitingFor: [...cell('waiting').matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => textOf(m[1])),
      error: textOf(cell('error')),
      html,
    };
  });
}

function backendShown(dom: string): { name: string; state: string; sync: string } {
  const part = (name: string): string => textOf(new RegExp(`<[a-z]+ class="backend-${name}">([\\s\\S]*?)</`).exec(dom)?.[1] ?? '');
  return { name: part('name'), state: part('state'), sync: part('sync') };
}

const minutesAgo = (n: number): string => new Date(Date.now() - n * 60_000).toISOString();

describe('status page in Chromium', () => {
  it('shows each resource, the keys it waits for, its last error and the backend state', async () => {
    state = {
      startedAt: minutesAgo(10),
      lastLoopAt: new Date().toISOString(),
      backend: { name: 'etcd', up: false, synced: true },
      resources: [
        { name: 'nginx.toml', dest: '/etc/nginx/nginx.conf', rendered: true, lastRenderAt: minutesAgo(2), lastChanges: ['content: +2 -1 lines'], missingKeys: [] },
        { name: 'app.toml', dest: '/srv/app/.env', rendered: false, missingKeys: ['/database/host', '/database/password'] },
        { name: 'worker.toml', dest: '/srv/worker.ini', rendered: true, lastRenderAt: minutesAgo(1), missingKeys: [], lastError: 'check_cmd failed (exit 1): bad "queue" section' },
      ],
    };
    const dom = await renderedDom(`${server.url}/`);

    expect(dom).toContain('<meta http-equiv="refresh" content="5">');
    expect(backendShown(dom)).toEqual({ name: 'etcd', state: 'down', sync: 'synced' });
    expect(dom).toContain('<section id="backend" class="down">');

    const rows = resourceRows(dom);
    expect(rows.map((r) => [r.name, r.state, r.dest])).toEqual([
      ['nginx.toml', 'ok', '/etc/nginx/nginx.conf'],
      ['app.toml', 'waiting', '/srv/app/.env'],
      ['worker.toml', 'error', '/srv/worker.ini'],
    ]);
    expect(rows[1].waitingFor).toEqual(['/database/host', '/database/password']);
    expect(rows[0].waitingFor).toEqual([]);
    expect(textOf(rows[0].html)).toContain('content: +2 -1 lines');
    expect(textOf(rows[0].html)).toMatch(/\b2 min ago\b/);
    expect(textOf(rows[1].html)).toContain('never');
    expect(rows[2].error).toBe('check_cmd failed (exit 1): bad "queue" section');
    expect(textOf(/<p class="summary">([\s\S]*?)<\/p>/.exec(dom)?.[1] ?? '')).toBe('2 of 3 resources waiting or failing');
  });

  it('shows an HTML-looking resource name and path as text, never as markup', async () => {
    state = {
      startedAt: minutesAgo(1),
      lastLoopAt: new Date().toISOString(),
      backend: { name: 'consul', up: true, synced: true },
      resources: [{ name: hostileName, dest: '/tmp/<script>x</script>', rendered: true, lastRenderAt: minutesAgo(0), missingKeys: ['/a/<i>k</i>'] }],
    };
    const dom = await renderedDom(`${server.url}/`);

    // Parsed as markup, these would be elements in the DOM; escaped, they are text.
    expect(dom).not.toMatch(/<img[\s>]/i);
    expect(dom).not.toMatch(/<b>|<i>|<script[\s>]/i);
    expect(/<title>([\s\S]*?)<\/title>/.exec(dom)?.[1]).toBe('keyplate: 1 of 1 resources waiting or failing');
    const [row] = resourceRows(dom);
    expect(row.name).toBe(hostileName);
    expect(row.dest).toBe('/tmp/<script>x</script>');
    expect(row.waitingFor).toEqual(['/a/<i>k</i>']);
    expect(backendShown(dom)).toEqual({ name: 'consul', state: 'up', sync: 'synced' });
  });

  it('says so when there is nothing to render', async () => {
    state = { startedAt: minutesAgo(0), lastLoopAt: new Date().toISOString(), backend: { name: 'env', up: true, synced: false }, resources: [] };
    const dom = await renderedDom(`${server.url}/`);
    expect(resourceRows(dom)).toEqual([]);
    expect(textOf(/<tbody>([\s\S]*?)<\/tbody>/.exec(dom)?.[1] ?? '')).toBe('No template resources in conf.d.');
    expect(dom).toContain('<span class="backend-sync">not synced yet</span>');
  });
});
