// Every case of the shared confd corpus renders through the Go engine to the exact bytes confd 0.17 wrote.
import { describe, expect, it } from 'vitest';
import { compileGoTemplate } from '../../src/template/go/index.js';
import { caseNames, corpusDir, loadCase } from './corpus.js';

const corpus = corpusDir();

/** The first difference, as the corpus runner reports it: byte offset, line, and a little of each side. */
function firstDifference(expected: Buffer, got: Buffer): string {
  let i = 0;
  while (i < expected.length && i < got.length && expected[i] === got[i]) i++;
  const line = expected.subarray(0, i).toString('utf8').split('\n').length;
  const show = (b: Buffer): string => JSON.stringify(b.subarray(i, i + 60).toString('utf8'));
  return `first difference at byte ${i} (line ${line}): expected ${show(expected)}, got ${show(got)}`;
}

describe('confd corpus (../shared/corpus/confd-templates)', () => {
  if (corpus === undefined) {
    it('is absent here: nothing to compare (set KEYPLATE_REQUIRE_CORPUS to make that a failure)', () => {
      console.warn('confd corpus not found beside the repository (../shared/corpus/confd-templates); corpus cases not run');
      expect(process.env.KEYPLATE_REQUIRE_CORPUS ?? '', 'KEYPLATE_REQUIRE_CORPUS is set but the corpus is absent').toBe('');
    });
    return;
  }

  const names = caseNames(corpus);
  it('holds the 42 cases of its MANIFEST', () => expect(names).toHaveLength(42));

  it.each(names)('%s renders byte for byte as confd', async (name) => {
    const c = loadCase(corpus, name);
    const template = compileGoTemplate(c.templateName, c.templateText);
    const scope = await c.scope();
    const result = await template.render(scope, { cwd: c.dir });
    expect(result.missingKeys, 'no key is missing').toEqual([]);
    const got = Buffer.from(result.output, 'utf8');
    if (!got.equals(c.expected)) expect.fail(`${name}: ${firstDifference(c.expected, got)}`);
  });
});
