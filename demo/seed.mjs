#!/usr/bin/env node
// Puts the demo's keys (keys.json beside this file) into etcd and/or Consul over their HTTP APIs; no dependencies.
//   ETCD_ENDPOINT=http://127.0.0.1:2379 node demo/seed.mjs
//   ETCD_ENDPOINT=http://etcd:2379 CONSUL_HTTP_ADDR=http://consul:8500 node seed.mjs   (the compose `seed` service)
// Retries while a store is still starting, up to SEED_TIMEOUT_MS (default 60000); exits 1 if it could not write.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const keys = JSON.parse(readFileSync(new URL('./keys.json', import.meta.url), 'utf8'));
const etcd = process.env.ETCD_ENDPOINT;
const consul = process.env.CONSUL_HTTP_ADDR;
const timeoutMs = Number(process.env.SEED_TIMEOUT_MS ?? 60_000);

if (!etcd && !consul) {
  process.stderr.write('seed: set ETCD_ENDPOINT (e.g. http://127.0.0.1:2379) and/or CONSUL_HTTP_ADDR (e.g. http://127.0.0.1:8500)\n');
  process.exit(2);
}

const base64 = (text) => Buffer.from(text, 'utf8').toString('base64');

/** etcd's JSON gateway (v3.4+): POST /v3/kv/put with base64 key and value. */
async function putEtcd(key, value) {
  const res = await fetch(new URL('/v3/kv/put', etcd), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key: base64(key), value: base64(value) }),
    signal: AbortSignal.timeout(5000),
  });
  if (!res.ok) throw new Error(`etcd ${etcd} answered ${res.status}: ${(await res.text()).trim()}`);
}

/** Consul KV: PUT /v1/kv/<key without the leading slash>, the raw value as the body; Consul answers `true`. */
async function putConsul(key, value) {
  const path = key.replace(/^\/+/, '').split('/').map(encodeURIComponent).join('/');
  const res = await fetch(new URL(`/v1/kv/${path}`, consul), { method: 'PUT', body: value, signal: AbortSignal.timeout(5000) });
  const body = (await res.text()).trim();
  if (!res.ok || body !== 'true') throw new Error(`consul ${consul} answered ${res.status}: ${body}`);
}

async function withRetry(store, put) {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      // In keys.json's order: the upstreams before the server name nginx.conf waits for last, so the first render
      // nginx checks already has its upstreams (an empty `upstream {}` fails nginx -t: an ERROR on every demo start).
      for (const [key, value] of Object.entries(keys)) await put(key, value);
      process.stderr.write(`seed: ${store}: wrote ${Object.keys(keys).join(', ')}\n`);
      return;
    } catch (error) {
      const reason = error.cause?.code ?? error.message;
      if (Date.now() >= deadline) throw new Error(`seed: ${store}: still failing after ${timeoutMs} ms (${reason})`);
      if (attempt === 0) process.stderr.write(`seed: ${store}: not ready yet (${reason}); retrying\n`);
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}

const results = await Promise.allSettled([etcd && withRetry('etcd', putEtcd), consul && withRetry('consul', putConsul)]);
const failed = results.filter((r) => r.status === 'rejected');
for (const r of failed) process.stderr.write(`${r.reason.message}\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
