// Settings precedence (flag > environment > keyplate.toml > default), strictness, help and exit codes.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { flagSpecs, envName } from '../src/config/flags.js';
import { parseDuration } from '../src/config/duration.js';
import { baseEnv, cleanupTemps, makeConfdir, runCli, tempDir } from './util.js';

afterEach(cleanupTemps);

const prefixed = {
  'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/v"]\n',
  'templates/a.tmpl': '{{getv "/v"}}\n',
};
const values = { FLAG_V: 'flag', ENV_V: 'env', FILE_V: 'file', V: 'default' };

describe('precedence: flag > environment > keyplate.toml > default', () => {
  const cases: Array<[string, string[], Record<string, string>, boolean, string]> = [
    ['default only', [], {}, false, 'default'],
    ['file over default', [], {}, true, 'file'],
    ['environment over file', [], { KEYPLATE_PREFIX: '/env' }, true, 'env'],
    ['flag over environment and file', ['--prefix', '/flag'], { KEYPLATE_PREFIX: '/env' }, true, 'flag'],
  ];
  it.each(cases)('%s', async (_name, flags, env, withFile, expected) => {
    const dir = makeConfdir(prefixed);
    if (withFile) writeFileSync(path.join(dir, 'keyplate.toml'), 'prefix = "/file"\nonetime = true\n');
    const r = await runCli([...flags, '--onetime', '--confdir', dir], { env: baseEnv({ ...values, ...env }) });
    expect(r.stderr).not.toContain('ERROR');
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out/a'), 'utf8')).toBe(`${expected}\n`);
  });

  it('KEYPLATE_CONFDIR and a comma-separated KEYPLATE_NODE are read', () => {
    const c = loadConfig({ argv: [], env: { KEYPLATE_CONFDIR: '/srv/kp', KEYPLATE_NODE: 'http://a:2379, http://b:2379', KEYPLATE_BACKEND: 'etcdv3' } });
    expect(c.confdir).toBe('/srv/kp');
    expect(c.nodes).toEqual(['http://a:2379', 'http://b:2379']);
    expect(c.backend).toBe('etcd');
    expect(c.watch).toBe(true);
  });

  it('repeated --node flags accumulate, and confd-style single-dash flags work', () => {
    const c = loadConfig({ argv: ['-backend', 'consul', '--node', 'a:8500', '--node=b:8500', '-onetime'], env: {} });
    expect(c.nodes).toEqual(['a:8500', 'b:8500']);
    expect(c.onetime).toBe(true);
    expect(c.watch).toBe(false);
  });

  it('everything after -- is the command, untouched', () => {
    const c = loadConfig({ argv: ['--onetime', '--', 'nginx', '-g', 'daemon off;', '--onetime'], env: {} });
    expect(c.command).toEqual(['nginx', '-g', 'daemon off;', '--onetime']);
  });

  it('keyplate.toml takes confd spellings (nodes, log-level) and resolves paths against its own folder', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'keyplate.toml'), 'nodes = ["http://x:2379"]\n"log-level" = "debug"\nenv_file = ["dev.env"]\nwait_timeout = "1m30s"\n');
    const c = loadConfig({ argv: ['--confdir', dir], env: {} });
    expect(c.nodes).toEqual(['http://x:2379']);
    expect(c.logLevel).toBe('debug');
    expect(c.envFiles).toEqual([path.join(dir, 'dev.env')]);
    expect(c.waitTimeoutMs).toBe(90_000);
  });
});

describe('strict settings: exit 2 with a message saying what to do', () => {
  const cases: Array<[string, string[], Record<string, string>, string | undefined, RegExp]> = [
    ['an unknown flag', ['--onetim'], {}, undefined, /unknown flag `--onetim`; run `keyplate --help`/],
    ['an unknown backend lists the valid ones', ['--backend', 'zookeeper'], {}, undefined, /flag --backend: expected one of env, etcd, etcdv3, consul, got `zookeeper` \(string\)/],
    ['a bad duration', ['--wait-timeout', 'soon'], {}, undefined, /flag --wait-timeout: expected a duration such as 500ms, 30s or 2m, got `soon`/],
    ['a flag without its value', ['--confdir'], {}, undefined, /flag --confdir needs a value: DIR/],
    ['a bad environment value', [], { KEYPLATE_INTERVAL: '-5' }, undefined, /environment KEYPLATE_INTERVAL: expected a positive number of seconds, got `-5`/],
    ['an unknown key in keyplate.toml', [], {}, 'backend = "env"\nbakend = "etcd"\n', /keyplate\.toml: unknown setting `bakend`/],
    ['bad TOML in keyplate.toml, with its line', [], {}, 'backend = "env"\nnodes = [\n', /keyplate\.toml:3:\d+: invalid TOML/],
    ['a wrong type in keyplate.toml', [], {}, 'onetime = "yes please"\n', /keyplate\.toml: onetime: expected true or false, got `yes please`/],
    ['a stray positional argument', ['nginx'], {}, undefined, /unexpected argument `nginx`; to run a command after rendering, put it after `--`/],
    ['--onetime with --watch', ['--onetime', '--watch'], {}, undefined, /--onetime and --watch contradict each other/],
    ['wait-min above wait-max', ['--wait-min', '2s', '--wait-max', '1s'], {}, undefined, /wait-min \(2000ms\) must not exceed wait-max \(1000ms\)/],
  ];
  it.each(cases)('%s', async (_name, flags, env, file, message) => {
    const dir = makeConfdir(prefixed);
    if (file) writeFileSync(path.join(dir, 'keyplate.toml'), file);
    const r = await runCli(['--confdir', dir, ...flags], { env: baseEnv({ V: 'x', ...env }) });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it('a missing named --config-file is an error; a missing default file is fine', async () => {
    const dir = makeConfdir(prefixed);
    const named = await runCli(['--onetime', '--confdir', dir, '--config-file', path.join(dir, 'nope.toml')]);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/nope\.toml: cannot read the config file/);
    const dflt = await runCli(['--onetime', '--confdir', dir], { env: baseEnv({ V: 'x' }) });
    expect(dflt.code).toBe(0);
  });
});

describe('help and version', () => {
  it('--help lists every flag with its environment variable, and the exit codes', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const f of flagSpecs) {
      expect(r.stdout).toContain(`--${f.name}`);
      if (f.name !== 'help' && f.name !== 'version') expect(r.stdout).toContain(envName(f));
    }
    expect(r.stdout).toMatch(/Exit codes: 0 ok; 1 .*2 usage.*\n.*3 gave up waiting/);
  });

  it('the built CLI accepts Go duration units, µs included', async () => {
    const dir = makeConfdir({
      'conf.d/a.toml': '[template]\nsrc = "a.tmpl"\ndest = "out/a"\nkeys = ["/x"]\n',
      'templates/a.tmpl': '{{getv "/x"}}\n',
    });
    for (const timeout of ['1500000µs', '1500000us', '1.5s', '1m30s']) {
      const r = await runCli(['--onetime', '--confdir', dir, '--wait-timeout', timeout, '--log-level', 'warn'], { env: baseEnv({ X: '1' }) });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    }
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const r = await runCli(['--version']);
    expect(r.stdout).toBe(`keyplate ${pkg.version}\n`);
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['10', 10_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'soon', '10 s', '-1s', '5d'])('`%s` is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});
