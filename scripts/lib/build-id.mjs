// The build's identity: a hash of the source every bundle is made from (src/ and backends/). Cache entries made by
// one build are not read by another (src/cache/disk.ts): a template checked and compiled by an older keyplate must be
// checked again by the new rules, not served from ~/.cache/keyplate.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** 16 hex digits of SHA-256 over every file under src/ and backends/ of `root`, by path. */
export function buildId(root) {
  const hash = createHash('sha256');
  for (const dir of ['src', 'backends']) {
    const files = readdirSync(path.join(root, dir), { recursive: true }).map(String).filter((f) => !f.endsWith('/')).sort();
    for (const file of files) {
      const full = path.join(root, dir, file);
      let text;
      try {
        text = readFileSync(full);
      } catch {
        continue; // a directory
      }
      hash.update(`${dir}/${file}\0`).update(text).update('\0');
    }
  }
  return hash.digest('hex').slice(0, 16);
}
