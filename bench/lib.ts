// Shared bench helpers: medians, percentiles, process runs with peak memory, confdir generation.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', '..');
export const cli = path.join(process.cwd(), 'dist', 'keyplate.cjs');

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/**
 * Wall time (ms), and with GNU time the peak RSS (MiB) and minor page faults of one run. The faults count
 * barely moves between runs, so it shows a change in memory touched that wall time on a noisy machine hides
 * (a fresh page costs ~12 µs on these VMs).
 */
export function timeRun(cmd: string[], env: NodeJS.ProcessEnv): { ms: number; rssMiB?: number; minorFaults?: number; code: number | null } {
  const argv = gnuTime ? [gnuTime, '-f', '%M %R', ...cmd] : cmd;
  const t = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8' });
  const ms = performance.now() - t;
  let rssMiB: number | undefined;
  let minorFaults: number | undefined;
  if (gnuTime) {
    const last = /^(\d+) (\d+)$/.exec(r.stderr.trim().split('\n').pop() ?? '');
    if (last) [rssMiB, minorFaults] = [Number(last[1]) / 1024, Number(last[2])];
  }
  return { ms, rssMiB, minorFaults, code: r.status };
}

export function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'keyplate-bench-'));
}

/**
 * A confdir with `count` resources, each reading `keysPer` keys under /app/r<i>. They share one template, or
 * with `templatePerResource` each has its own (the same text with its own title line); `dialect` is the template
 * language.
 */
export function generateConfdir(count: number, keysPer = 3, templatePerResource = false, dialect: 'handlebars' | 'go' = 'handlebars'): { dir: string; env: Record<string, string>; keys: Map<string, string> } {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'conf.d'));
  mkdirSync(path.join(dir, 'templates'));
  mkdirSync(path.join(dir, 'out'));
  // The same output in both languages (confd's Go text/template, or keyplate's Handlebars).
  const loop = dialect === 'go' ? '{{range gets "/list/*"}}{{base .Key}}={{.Value}}\n{{end -}}' : '{{#each (gets "/list/*")}}{{base key}}={{value}}\n{{/each}}';
  const tmpl = ['# generated', ...Array.from({ length: keysPer }, (_, k) => `k${k}={{getv "/k${k}"}}`), loop].join('\n') + '\n';
  if (!templatePerResource) writeFileSync(path.join(dir, 'templates', 'r.tmpl'), tmpl);
  const env: Record<string, string> = {};
  const keys = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const src = templatePerResource ? `r${i}.tmpl` : 'r.tmpl';
    if (templatePerResource) writeFileSync(path.join(dir, 'templates', src), `# resource ${i}\n${tmpl}`);
    writeFileSync(path.join(dir, 'conf.d', `r${i}.toml`), `[template]\nsrc = "${src}"\ndest = "out/r${i}.conf"\nprefix = "/app/r${i}"\nkeys = ["/"]\nmode = "0644"\n`);
    for (let k = 0; k < keysPer; k++) {
      env[`APP_R${i}_K${k}`] = `value-${i}-${k}`;
      keys.set(`/app/r${i}/k${k}`, `value-${i}-${k}`);
    }
  }
  return { dir, env, keys };
}
