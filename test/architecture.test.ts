// The walls between the stages, read from the import statements of src/ and backends/: key-path functions live in
// one module both sides import, the write pipeline knows no backend, nothing imports the command line, the stages
// depend only downwards, and no import cycle exists.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './util.js';

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((entry) => {
    const rel = `${dir}/${entry}`;
    if (statSync(path.join(root, rel)).isDirectory()) return sourceFiles(rel);
    return rel.endsWith('.ts') ? [rel] : [];
  });
}

const files = [...sourceFiles('src'), ...sourceFiles('backends')];

/** Every relative import (static, re-export or dynamic), resolved to a repository path. */
const imports: Import[] = files.flatMap((from) => {
  const text = readFileSync(path.join(root, from), 'utf8');
  const found: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm;
  for (const m of text.matchAll(pattern)) {
    const spec = m[3] ?? m[4];
    found.push({ from, to: path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '.ts'), typeOnly: Boolean(m[2]) });
  }
  return found;
});

/**
 * The stage a file belongs to: its folder under src/ (src/errors.ts and src/main.ts stand alone), or backends.
 * src/runtime/ holds the compiled executable's entry, which runs main: it stands above it.
 */
function stageOf(file: string): string {
  if (file.startsWith('backends/')) return 'backends';
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : parts[1].replace(/\.ts$/, '');
}

/** Lowest first: a stage may import its own and lower stages only. */
const layers = ['errors', 'keys', 'cache', 'backends', 'config', 'ops', 'process', 'template', 'resources', 'write', 'runner', 'cli', 'main', 'runtime'];

describe('the walls between stages', () => {
  it('sees the imports (a sanity check of the parser)', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(imports).toContainEqual({ from: 'src/main.ts', to: 'src/cli/cli.ts', typeOnly: false });
    expect(imports.some((i) => i.typeOnly)).toBe(true);
    expect(imports.some((i) => i.from === 'backends/index.ts' && i.to === 'backends/etcd.ts')).toBe(true); // a dynamic import
    for (const i of imports) expect(files, `${i.from} imports ${i.to}`).toContain(i.to);
  });

  it('every file belongs to a known stage', () => {
    for (const f of files) expect(layers, f).toContain(stageOf(f));
  });

  it('key paths: normalizeKey, joinKey, isUnder and coveringPrefixes are defined once, in src/keys/paths.ts', () => {
    for (const f of files) {
      const text = readFileSync(path.join(root, f), 'utf8');
      const defines = /function\s+(normalizeKey|joinKey|isUnder|coveringPrefixes)\b/.test(text);
      expect(defines, f).toBe(f === 'src/keys/paths.ts');
    }
  });

  it('the backends import nothing of the agent but the key paths', () => {
    const reach = imports.filter((i) => i.from.startsWith('backends/') && !i.to.startsWith('backends/'));
    expect(reach.length).toBeGreaterThan(0);
    for (const i of reach) expect(i.to, i.from).toBe('src/keys/paths.ts');
  });

  it('the write pipeline carries no backend: pipeline, write, template, keys and resources import nothing from backends/', () => {
    const pipeline = ['src/runner/pipeline.ts', 'src/write/', 'src/template/', 'src/keys/', 'src/resources/'];
    for (const i of imports.filter((i) => pipeline.some((p) => i.from.startsWith(p)))) expect(i.to, i.from).not.toMatch(/^backends\//);
    const text = readFileSync(path.join(root, 'src/runner/pipeline.ts'), 'utf8');
    const context = /export interface PipelineContext \{([^}]*)\}/.exec(text)?.[1];
    expect(context).toBeDefined();
    expect(context).not.toMatch(/backend/i);
  });

  it('nothing imports the command line but the bundle entry', () => {
    for (const i of imports.filter((i) => i.to.startsWith('src/cli/'))) expect(i.from).toBe('src/main.ts');
  });

  it('stages depend only on their own and lower stages', () => {
    const upward = imports.filter((i) => layers.indexOf(stageOf(i.to)) > layers.indexOf(stageOf(i.from)));
    expect(upward.map((i) => `${i.from} → ${i.to}`)).toEqual([]);
  });

  it('no import cycles, type-only imports included', () => {
    const next = new Map<string, string[]>(files.map((f) => [f, imports.filter((i) => i.from === f).map((i) => i.to)]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const to of next.get(file) ?? []) {
        if (state.get(to) === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to].join(' → '));
        else if (!state.has(to)) visit(to);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
