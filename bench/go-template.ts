// Micro-benchmark: the Go engine against Handlebars on the same work (a confd-style template: three getv and a
// gets loop), compile time and render time, in interleaved rounds; medians and the Go/Handlebars ratio.
// Part of `npm run bench -- go` (bench/go.ts).
import Handlebars from 'handlebars';
import { registerHelpers } from '../src/template/helpers/index.js';
import { KeyStore } from '../src/keys/store.js';
import { RenderScope } from '../src/template/scope.js';
import { compileGoTemplate } from '../src/template/go/index.js';
import { median } from './lib.js';

const ENTRIES = 50;

const GO = [
  '# generated',
  'host={{getv "/db/host"}}',
  'port={{getv "/db/port" "5432"}}',
  'name={{toUpper (getv "/app/name")}}',
  '{{range gets "/list/*"}}{{base .Key}}={{.Value}}',
  '{{end}}',
].join('\n');
const HBS = [
  '# generated',
  'host={{getv "/db/host"}}',
  'port={{getv "/db/port" "5432"}}',
  'name={{toUpper (getv "/app/name")}}',
  '{{#each (gets "/list/*")}}{{base key}}={{value}}',
  '{{/each}}',
].join('\n');

/** Compile and render times of the two engines on the same template, `rounds` interleaved rounds; prints medians. */
export function benchGoTemplate(rounds: number): void {
  const store = new KeyStore([
    ['/db/host', '10.0.0.1'],
    ['/app/name', 'shop'],
    ...Array.from({ length: ENTRIES }, (_, i): [string, string] => [`/list/item${String(i).padStart(3, '0')}`, `10.0.1.${i}:8080`]),
  ]);
  const scope = (): RenderScope => new RenderScope(store, '/', 'bench.tmpl', {});
  const hb = Handlebars.create();
  registerHelpers(hb);

  /** Mean µs per call of `fn` over a batch long enough to time. */
  function perCall(fn: () => unknown, calls: number): number {
    const t = performance.now();
    for (let i = 0; i < calls; i++) fn();
    return ((performance.now() - t) * 1000) / calls;
  }

  const goTemplate = compileGoTemplate('bench.tmpl', GO);
  const hbTemplate = hb.compile(HBS, { noEscape: true });
  const goOut = (goTemplate.render(scope()) as { output: string }).output;
  const hbOut = hbTemplate({}, { data: { keyplate: scope() } });
  if (goOut !== hbOut) throw new Error(`the two templates render differently:\n${goOut}\n---\n${hbOut}`);

  const samples = { goCompile: [] as number[], hbCompile: [] as number[], goRender: [] as number[], hbRender: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    samples.goCompile.push(perCall(() => compileGoTemplate('bench.tmpl', GO), 200));
    samples.hbCompile.push(perCall(() => hb.compile(HBS, { noEscape: true })({}, { data: { keyplate: scope() } }), 200));
    samples.goRender.push(perCall(() => goTemplate.render(scope()), 2000));
    samples.hbRender.push(perCall(() => hbTemplate({}, { data: { keyplate: scope() } }), 2000));
  }

  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) as Record<keyof typeof samples, number>;
  console.log(`Go template engine vs Handlebars, ${ENTRIES} list entries, ${rounds} interleaved rounds (medians, µs per call)`);
  console.log(`  compile (Handlebars: compile + first render): Go ${m.goCompile.toFixed(1)}  Handlebars ${m.hbCompile.toFixed(1)}  ratio ${(m.goCompile / m.hbCompile).toFixed(2)}`);
  console.log(`  render:                                        Go ${m.goRender.toFixed(1)}  Handlebars ${m.hbRender.toFixed(1)}  ratio ${(m.goRender / m.hbRender).toFixed(2)}`);
  console.log(`  render throughput: Go ${Math.round(1e6 / m.goRender)}/s, Handlebars ${Math.round(1e6 / m.hbRender)}/s (one core)`);
}
