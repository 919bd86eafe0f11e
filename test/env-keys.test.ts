// The env backend reads a key by its variable, whatever the key's spelling (issue 10 item 2): `/kafka/broker_id`
// is KAFKA_BROKER_ID; it never advises setting a variable that is set, and says why a key no variable can hold is
// missing.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, readIfExists, runCli, startCli, waitFor } from './util.js';

afterEach(cleanupTemps);

function kafkaConfdir(template: string, keys = '["/kafka"]'): string {
  return makeConfdir({
    'conf.d/kafka.toml': `[template]\nsrc = "kafka.tmpl"\ndest = "out/kafka.conf"\nkeys = ${keys}\n`,
    'templates/kafka.tmpl': template,
  });
}

describe('a key with `_` in it, as users write them', () => {
  it('getv "/kafka/broker_id" reads KAFKA_BROKER_ID, in a run and in check', async () => {
    const dir = kafkaConfdir('broker.id={{getv "/kafka/broker_id"}}\nzk={{getv "/kafka/zookeeper_connect"}}\n');
    const env = baseEnv({ KAFKA_BROKER_ID: '5', KAFKA_ZOOKEEPER_CONNECT: 'zk:2181' });
    const r = await runCli(['--onetime', '--confdir', dir], { env });
    expect(r.stderr).not.toMatch(/missing|set KAFKA/);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/kafka.conf'), 'utf8')).toBe('broker.id=5\nzk=zk:2181\n');
    const check = await runCli(['check', '--confdir', dir], { env });
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(/ok: 1 resource/);
  });

  it('keys = ["/kafka_cluster"] and its variables work as the prefix of the resource', async () => {
    const dir = kafkaConfdir('{{getv "/kafka_cluster/broker_id"}}\n', '["/kafka_cluster"]');
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ KAFKA_CLUSTER_BROKER_ID: '9' }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/kafka.conf'), 'utf8')).toBe('9\n');
  });

  it('watch mode follows an edit of the variable in an --env-file, also under keys = ["/kafka_cluster"]', async () => {
    const dir = kafkaConfdir('broker.id={{getv "/kafka_cluster/broker_id"}}\n', '["/kafka_cluster"]');
    const envFile = path.join(dir, 'dev.env');
    writeFileSync(envFile, 'KAFKA_CLUSTER_BROKER_ID=1\n');
    const out = path.join(dir, 'out/kafka.conf');
    const run = startCli(['--watch', '--confdir', dir, '--env-file', envFile]);
    try {
      await waitFor(() => readIfExists(out) === 'broker.id=1\n', 10_000, 'the first render');
      writeFileSync(envFile, 'KAFKA_CLUSTER_BROKER_ID=2\n');
      await waitFor(() => readIfExists(out) === 'broker.id=2\n', 10_000, 'the edit to reach the file');
    } finally {
      run.child.kill('SIGTERM');
    }
    expect((await run.exited).code).toBe(0);
    expect(run.out.stderr).not.toMatch(/ERROR|missing/);
  });
});

describe('advice for a missing key is true', () => {
  it('a key whose variable is not a portable name says why it may be missing, and names no variable to set', async () => {
    const dir = kafkaConfdir('{{getv "/kafka/log.dirs"}}\n');
    for (const args of [['--onetime'], ['check']]) {
      const r = await runCli([...args, '--confdir', dir]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/missing \/kafka\/log\.dirs \(it maps to `KAFKA_LOG\.DIRS`, not a portable variable name \(letters, digits and _\): keyplate reads it when set, but POSIX shells drop such names/);
      expect(r.stderr).not.toMatch(/set KAFKA_LOG/);
    }
  });

  it('such a variable, set with no shell in between (as docker run -e does), is read', async () => {
    const dir = kafkaConfdir('dirs={{getv "/kafka/log.dirs"}}\n');
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ 'KAFKA_LOG.DIRS': '/data' }) });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/kafka.conf'), 'utf8')).toBe('dirs=/data\n');
  });

  it('a missing key whose variable is unset still says which variable to set', async () => {
    const dir = kafkaConfdir('{{getv "/kafka/broker_id"}}\n');
    const r = await runCli(['--onetime', '--confdir', dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/missing \/kafka\/broker\/id \(set KAFKA_BROKER_ID\)/);
  });

  it('a variable that is set is never what the message says to set', async () => {
    const dir = kafkaConfdir('{{getv "/kafka/broker_id"}}\n', '["/app"]');
    const r = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ KAFKA_BROKER_ID: '5' }) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/outside the keys of kafka\.toml/);
    expect(r.stderr).not.toMatch(/set KAFKA_BROKER_ID/);
  });
});

describe("the env backend's spelling of a key (keyOf)", () => {
  it('returns every key and pattern in the spelling its variable maps back to, on the fast path or not', async () => {
    const { createEnvBackend, keyToVariable, variableToKey } = await import('../backends/env.js');
    const backend = createEnvBackend({ envFiles: [], environment: {} } as unknown as Parameters<typeof createEnvBackend>[0]);
    const samples = ['/app/r0/k0', '/kafka/broker_id', '/Kafka/Broker', '//a//b/', '/a/./b', '/a/.', '/.hidden', '/a/..', '/list/*', '/a/[a-z]?',
      '/a b', '/µs', '/straße', '/x-y/z.w', '/a^b', '/a@b', '/a~b', '/a\\b', '/', '/_', '/a_'];
    // And random ones over the characters that matter: letters of both cases, `_`, `/`, `.`, glob signs, non-ASCII.
    const alphabet = ['a', 'Z', '_', '/', '.', '*', '[', ']', '-', '0', 'é', 'ß', ' '];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      let key = '/';
      const length = 1 + (i % 9);
      for (let j = 0; j < length; j++) key += alphabet[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % alphabet.length];
      samples.push(key);
    }
    for (const key of samples) expect([key, backend.keyOf!(key)]).toEqual([key, variableToKey(keyToVariable(key))]);
  });
});
