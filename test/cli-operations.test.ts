// The operations server as a user meets it: keyplate --metrics-addr, scraped over HTTP while it works.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appConfdir, appFlags, baseEnv, cleanupTemps, waitFor, whileRunning } from './util.js';

afterEach(cleanupTemps);

describe('keyplate --metrics-addr', () => {
  it('serves metrics that move with renders, health, readiness that names the missing keys, and a status page', async () => {
    const dir = appConfdir({ template: '{{getv "/app/host"}}:{{getv "/app/port"}}\n', env: 'APP_HOST=h\n' });
    const secret = 'value-that-must-not-leak-42';
    writeFileSync(path.join(dir, 'dev.env'), `APP_HOST=${secret}\n`);
    const { code, out } = await whileRunning(['--watch', ...appFlags(dir), '--metrics-addr', '127.0.0.1:0'], { env: baseEnv() }, async (kp) => {
      await waitFor(() => /operations server listening on (http:\/\/\S+)/.test(kp.out.stderr), 10_000, 'server line');
      const url = /operations server listening on (http:\/\/\S+)/.exec(kp.out.stderr)![1].replace(/\/$/, '');
      await waitFor(() => kp.out.stderr.includes('waiting for /app/port'), 10_000, 'waiting');

      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(JSON.stringify(await notReady.json())).toContain('/app/port');

      writeFileSync(path.join(dir, 'dev.env'), `APP_HOST=${secret}\nAPP_PORT=1\n`);
      await waitFor(() => kp.out.stderr.includes('updated'), 10_000, 'render');
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);

      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/# TYPE keyplate_\w+ counter/);
      expect(metrics).toMatch(/keyplate_writes_total\{resource="app\.toml"\} 1/);
      const page = await (await fetch(`${url}/`)).text();
      expect(page).toContain('app.toml');
      expect(page + metrics).not.toContain(secret);
    });
    expect(code).toBe(0);
    expect(out.stderr).not.toContain(secret);
  });
});
