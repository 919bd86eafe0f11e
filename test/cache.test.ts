// Cache entry names: stable, distinct for the inputs that matter, and cheap for long inputs; entries of another build unread.
import { describe, expect, it } from 'vitest';
import { contentKey } from '../src/cache/disk.js';

describe('contentKey', () => {
  it('is 16 hex digits and the same for the same text', () => {
    expect(contentKey('abc')).toMatch(/^[0-9a-f]{16}$/);
    expect(contentKey('x'.repeat(10_000))).toBe(contentKey('x'.repeat(10_000)));
  });

  it('tells apart short texts that differ anywhere, and long ones that differ in length, start, end or spread-out content', () => {
    const short = Array.from({ length: 300 }, (_, i) => `/conf.d/r${i}.toml`).join('\0').slice(0, 440);
    const keys = new Set([contentKey(short), contentKey(short.replace('r1', 'r9')), contentKey(short.slice(0, -1))]);
    expect(keys.size).toBe(3);
    const long = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');
    const variants = [long, long + ' ', `#${long.slice(1)}`, `${long.slice(0, -1)}#`, long.replace('line 1000\n', 'line 1000 \n').slice(0, long.length)];
    expect(new Set(variants.map(contentKey)).size).toBe(variants.length);
  });
});

describe('entries of another build', () => {
  it('are made again, never served: an older keyplate may have checked or compiled with other rules', async () => {
    const { mkdtempSync, readFileSync, writeFileSync, chmodSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { readCached, writeCached } = await import('../src/cache/disk.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'keyplate-cache-'));
    chmodSync(dir, 0o700);
    writeCached(dir, 'entry.json', 'the input', 'the output');
    expect(readCached(dir, 'entry.json', 'the input')).toBe('the output');
    const file = path.join(dir, 'entry.json');
    const text = readFileSync(file, 'utf8');
    // The same entry as another build wrote it (its identity before the input), and as 0.1 wrote it (no identity).
    writeFileSync(file, text.replace(/(\n\/\/--keyplate-input--\n)[^\0]*\0/, '$1another-build\0'));
    expect(readCached(dir, 'entry.json', 'the input')).toBeUndefined();
    writeFileSync(file, text.replace(/(\n\/\/--keyplate-input--\n)[^\0]*\0/, '$1'));
    expect(readCached(dir, 'entry.json', 'the input')).toBeUndefined();
  });
});
