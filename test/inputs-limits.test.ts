// A runaway template fails its own resource, naming the limit, within the limit's time and without exhausting the
// heap; other resources still render. Limits are render_timeout and max_output in the resource file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseEnv, cleanupTemps, makeConfdir, runCli } from './util.js';

afterEach(cleanupTemps);

function confdir(template: string, toml = ''): string {
  return makeConfdir({
    'conf.d/runaway.toml': `[template]\nsrc = "runaway.tmpl"\ndest = "out/runaway.conf"\nkeys = ["/app"]\n${toml}`,
    'templates/runaway.tmpl': template,
    'conf.d/fine.toml': '[template]\nsrc = "fine.tmpl"\ndest = "out/fine.conf"\nkeys = ["/app"]\n',
    'templates/fine.tmpl': 'port={{getv "/app/port"}}\n',
  });
}

const env = baseEnv({ APP_PORT: '80' });
const seqInSeq = (body: string): string => `{{#each (seq 1 1000000)}}{{#each (seq 1 1000000)}}${body}{{/each}}{{/each}}`;

describe('a runaway render', () => {
  it('seq inside seq building output: stopped at max_output, exit 1, the limit named; the other resource is written', async () => {
    const dir = confdir(seqInSeq('x'), 'max_output = "1MiB"\n');
    const started = Date.now();
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir, timeout: 60_000 });
    expect(r.stderr).toMatch(/runaway\.tmpl: the render's output passed its size limit of 1 MiB and was stopped; if the file is meant to be that large, raise max_output in runaway\.toml/);
    expect(r.stderr).not.toMatch(/heap|RangeError|\n\s+at /);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(existsSync(path.join(dir, 'out', 'runaway.conf'))).toBe(false);
    expect(readFileSync(path.join(dir, 'out', 'fine.conf'), 'utf8')).toBe('port=80\n');
  });

  it('the default output limit (64 MiB) stops seq inside seq without exhausting the heap', async () => {
    const dir = confdir(seqInSeq('{{this}}'));
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir, timeout: 120_000 });
    expect(r.stderr).toMatch(/passed its size limit of 64 MiB/);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
  }, 130_000);

  it('seq inside seq building nothing: stopped at render_timeout, exit 1, the limit named', async () => {
    const dir = confdir(seqInSeq(''), 'render_timeout = "1s"\n');
    const started = Date.now();
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir, timeout: 60_000 });
    expect(r.stderr).toMatch(/runaway\.tmpl: the render ran past its time limit of 1\.?0?s and was stopped; if the template is meant to take that long, raise render_timeout in runaway\.toml/);
    expect(r.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(readFileSync(path.join(dir, 'out', 'fine.conf'), 'utf8')).toBe('port=80\n');
  });

  it('a helper building a string past what Node can hold: named, exit 1, no RangeError', async () => {
    const dir = confdir('{{replace (getv "/app/big") "x" (getv "/app/big") -1}}', 'max_output = "512MiB"\n');
    writeFileSync(path.join(dir, 'big.env'), `APP_BIG=${'x'.repeat(1 << 16)}\n`);
    const r = await runCli(['--onetime', '--confdir', dir, '--env-file', path.join(dir, 'big.env')], { env, cwd: dir, timeout: 120_000 });
    expect(r.stderr).not.toMatch(/RangeError|Invalid string length|\n\s+at /);
    expect(r.stderr).toMatch(/runaway\.tmpl: .*(built a string longer than Node can hold|size limit)/);
    expect(r.code).toBe(1);
  }, 130_000);

  it('a large but legitimate render passes', async () => {
    const dir = confdir('{{#each (seq 1 200000)}}server{{this}}\n{{/each}}');
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'out', 'runaway.conf'), 'utf8').split('\n')).toHaveLength(200_001);
  });
});

describe('limits at load', () => {
  it.each([
    ['max_output = "lots"', /runaway\.toml:5: max_output must be a size such as "64MiB"/],
    ['max_output = "2GiB"', /runaway\.toml:5: max_output must be a size .*at most 512MiB/],
    ['render_timeout = 0', /runaway\.toml:5: render_timeout must be a duration/],
  ])('%s: exit 2', async (toml, message) => {
    const dir = confdir('x', `${toml}\n`);
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
  });

  it.each([
    ['blocks', `${'{{#if (getv "/app/port")}}'.repeat(5000)}x${'{{/if}}'.repeat(5000)}`, '', /runaway\.tmpl:1:\d+: blocks nest more than 100 deep here/],
    // Valid in both languages: Handlebars only when the resource says so; the Go engine by default.
    ['calls', `{{toUpper ${'(toUpper '.repeat(5000)}"x"${')'.repeat(5000)}}}`, 'engine = "handlebars"\n', /runaway\.tmpl:1:1: calls nest more than 100 deep in this tag/],
    ['Go calls', `{{toUpper ${'(toUpper '.repeat(5000)}"x"${')'.repeat(5000)}}}`, '', /runaway\.tmpl: .*(nests too deep|max expression depth exceeded)/],
    ['Go pipelines', `{{${'(print '.repeat(5000)}1${')'.repeat(5000)} | print}}`, 'engine = "go"\n', /runaway\.tmpl: .*(nests too deep|max expression depth exceeded)/],
  ])('%s nested thousands deep: exit 2 at once, no stack overflow', async (_name, template, toml, message) => {
    const dir = confdir(template, toml);
    const started = Date.now();
    const r = await runCli(['--onetime', '--confdir', dir], { env, cwd: dir });
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/RangeError|call stack/);
    expect(r.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
