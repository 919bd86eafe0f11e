// A small, bounded fuzz run in the suite (the full one is `npm run fuzz`, 10,000 inputs): generated confdirs, values
// and flags through keyplate in-process and, for a sample, as the built CLI. Every input must end with a documented
// exit code, no stack trace or internal error text, no hang, and nothing written but the resources' destinations.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/cli.js';
import { runCliProcess, runInProcess, type Verdict } from './fuzz/check.js';
import { generate } from './fuzz/generate.js';
import { cliPath } from './util.js';

const seed = 20261130;

function failures(verdicts: Array<Verdict | undefined>): string[] {
  return verdicts.filter((v): v is Verdict => v !== undefined && v.problems.length > 0).map((v) => `#${v.id} (${v.mode}, exit ${v.code}): ${v.problems.join('; ')}\n${v.stderr.slice(0, 500)}`);
}

describe('fuzz (bounded)', () => {
  it('300 generated inputs in-process: documented exits, no stack traces, no hangs, no stray writes', async () => {
    const saved = process.env.KEYPLATE_CACHE_DIR;
    process.env.KEYPLATE_CACHE_DIR = 'off';
    const verdicts: Array<Verdict | undefined> = [];
    try {
      for (let id = 0; id < 300; id++) verdicts.push(await runInProcess(main, generate(seed, id, true), 10_000));
    } finally {
      if (saved === undefined) delete process.env.KEYPLATE_CACHE_DIR;
      else process.env.KEYPLATE_CACHE_DIR = saved;
    }
    expect(failures(verdicts)).toEqual([]);
    // The inputs reach every stage: some are rejected at load, some fail a render, some are written.
    const codes = new Set(verdicts.map((v) => v?.code));
    expect([...codes].sort()).toEqual(expect.arrayContaining([0, 1, 2]));
  }, 60_000);

  it('a sample of 12 as the built CLI', async () => {
    const verdicts: Array<Verdict | undefined> = [];
    for (let id = 0; id < 300; id += 25) verdicts.push(await runCliProcess(path.resolve(cliPath), generate(seed, id, true), 10_000));
    expect(failures(verdicts)).toEqual([]);
  }, 60_000);
});
