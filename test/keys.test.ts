import { describe, expect, it } from 'vitest';
import { coveringPrefixes, isUnder, joinKey, normalizeKey } from '../src/keys/paths.js';

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

  it.each([
    ['/', '/db/host', '/db/host'],
    ['/', 'db/host', '/db/host'],
    ['', '/db', '/db'],
    ['/app', '/db/host', '/app/db/host'],
    ['/app', 'db/host/', '/app/db/host'],
    ['/app', '/', '/app'],
    ['/app', '', '/app'],
    ['/app/', '//db//x', '/app/db/x'],
    ['//app', './db', '/app/db'],
  ])('joinKey(%j, %j) is %j', (prefix, key, expected) => {
    expect(joinKey(prefix, key)).toBe(expected);
    // The same as normalising the plain concatenation, which is what confd does.
    expect(joinKey(prefix, key)).toBe(normalizeKey(`${prefix}/${key}`));
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
