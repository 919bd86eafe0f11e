import { describe, expect, it } from 'vitest';
import { coveringPrefixes, isUnder, normalizeKey } from '../backends/types.js';

describe('key paths', () => {
  it.each([
    ['/', '/'],
    ['', '/'],
    ['app', '/app'],
    ['/app/', '/app'],
    ['//app//db/', '/app/db'],
    ['/app/./db', '/app/db'],
  ])('normalizeKey(%j) is %j', (input, expected) => {
    expect(normalizeKey(input)).toBe(expected);
  });

  it('isUnder matches at / boundaries only', () => {
    expect(isUnder('/app/db', '/app')).toBe(true);
    expect(isUnder('/app', '/app')).toBe(true);
    expect(isUnder('/apple', '/app')).toBe(false);
    expect(isUnder('/anything', '/')).toBe(true);
  });

  it.each([
    [['/app/db', '/app', '/app-x', '/apple/x'], ['/app', '/app-x', '/apple/x']],
    [['/b', '/a/b/c', '/a/b', '/a/bc'], ['/a/b', '/a/bc', '/b']],
    [['/x', '/', '/y'], ['/']],
    [['/x/', 'x', '/x/y'], ['/x']],
    [[], []],
  ])('coveringPrefixes(%j) is %j', (input, expected) => {
    expect(coveringPrefixes(input)).toEqual(expected);
  });

  it('coveringPrefixes scales to many disjoint prefixes', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `/app/r${i}`);
    expect(coveringPrefixes([...many, '/app/r7/sub'])).toEqual([...many].sort());
  });
});
