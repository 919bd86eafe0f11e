// Go's path.Match test table, plus the key patterns confd templates actually use.
import { describe, expect, it } from 'vitest';
import { BadPatternError, pathMatch, patternDir, validatePattern } from '../src/keys/glob.js';

const BAD = 'bad' as const;

// From Go's src/path/match_test.go.
const goCases: Array<[pattern: string, name: string, want: boolean | typeof BAD]> = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', BAD],
  ['[-]', '-', BAD],
  ['[x-]', 'x', BAD],
  ['[x-]', '-', BAD],
  ['[x-]', 'z', BAD],
  ['[-x]', 'x', BAD],
  ['[-x]', '-', BAD],
  ['[-x]', 'a', BAD],
  ['\\', 'a', BAD],
  ['[a-b-c]', 'a', BAD],
  ['[', 'a', BAD],
  ['[^', 'a', BAD],
  ['[^bc', 'a', BAD],
  ['a[', 'a', BAD],
  ['a[', 'ab', BAD],
  ['a[', 'x', BAD],
  ['a/b[', 'x', BAD],
  ['*x', 'xxx', true],
];

const keyCases: Array<[pattern: string, name: string, want: boolean]> = [
  ['/upstream/*', '/upstream/app1', true],
  ['/upstream/*', '/upstream/app1/weight', false],
  ['/upstream/*', '/upstream', false],
  ['/*', '/key', true],
  ['/*', '/database/host', false],
  ['/*/host', '/database/host', true],
  ['/upstream/app?', '/upstream/app10', false],
  ['/upstream/app[0-9]*', '/upstream/app10', true],
  ['/a\\[b', '/a[b', true],
  ['', '', true],
  ['', '/', false],
];

describe('pathMatch (Go path.Match)', () => {
  it.each(goCases)('Go table: %j against %j → %j', (pattern, name, want) => {
    if (want === BAD) {
      expect(() => pathMatch(pattern, name)).toThrow(BadPatternError);
      expect(() => validatePattern(pattern)).toThrow(BadPatternError);
    } else {
      expect(pathMatch(pattern, name)).toBe(want);
      expect(() => validatePattern(pattern)).not.toThrow();
    }
  });

  it.each(keyCases)('key pattern %j against %j → %j', (pattern, name, want) => {
    expect(pathMatch(pattern, name)).toBe(want);
  });

  it('reports a malformed pattern even when the name fails to match before the bad part', () => {
    expect(() => pathMatch('/nomatch/[', '/upstream/app1')).toThrow('syntax error in pattern `/nomatch/[`');
  });
});

describe('patternDir', () => {
  it.each([
    ['/list/*', '/list'],
    ['/a/b?/c', '/a'],
    ['/a/b/c*', '/a/b'],
    ['/*', '/'],
    ['/x*/y', '/'],
    ['/a/[bc]/d', '/a'],
    ['/a/\\*', '/a'],
    ['/a/b', '/a/b'],
  ])('%j scans under %j, and every key that matches lies there', (pattern, dir) => {
    expect(patternDir(pattern)).toBe(dir);
  });

  it('agrees with pathMatch on a sample of keys', () => {
    const keys = ['/a', '/a/b', '/a/b/c', '/a/bc/d', '/a/bd/d', '/list/x', '/list/y/z', '/x1/y', '/xy/y', '/a/*'];
    let matches = 0;
    for (const pattern of ['/list/*', '/a/b?/d', '/a/*', '/x*/y', '/a/[b-c]*/d', '/a/\\*', '/a/b']) {
      const dir = patternDir(pattern);
      for (const key of keys.filter((k) => pathMatch(pattern, k))) {
        matches++;
        expect(key === dir || dir === '/' || key.startsWith(`${dir}/`)).toBe(true);
      }
    }
    expect(matches).toBe(11);
  });
});
