// Go template built-ins for ported confd templates: comparisons, logic, len and printf.
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { registerHelpers } from '../src/template/helpers/index.js';
import { KeyStore } from '../src/keys/store.js';
import { RenderScope } from '../src/template/scope.js';

const hb = Handlebars.create();
registerHelpers(hb);
const store = new KeyStore([
  ['/mode', 'prod'],
  ['/port', '8080'],
  ['/list/a', 'x'],
  ['/list/b', 'y'],
]);
const render = (template: string): string =>
  hb.compile(template, { noEscape: true })({}, { data: { keyplate: new RenderScope(store, '/', 't.tmpl', {}) } });

describe('Go template built-ins', () => {
  it.each([
    ['{{#if (eq (getv "/mode") "prod")}}P{{else}}D{{/if}}', 'P'],
    ['{{#if (eq (getv "/mode") "dev" "staging" "prod")}}one of{{/if}}', 'one of'],
    ['{{#if (ne (getv "/mode") "prod")}}x{{else}}same{{/if}}', 'same'],
    ['{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge 3 2}}', 'true true false true'],
    ['{{lt "10" "9"}} {{lt (atoi "10") (atoi "9")}}', 'true false'],
    ['{{#if (and (exists "/mode") (exists "/port"))}}both{{/if}}', 'both'],
    ['{{#if (or (exists "/nope") (getv "/port"))}}either{{/if}}', 'either'],
    ['{{and "a" "" "c"}}|{{or "" 0 "z"}}|{{not ""}}|{{not (gets "/list/*")}}', '|z|true|false'],
    ['{{len (gets "/list/*")}} {{len "héllo"}} {{len (json "{\\"a\\":1}")}}', '2 6 1'],
    ['{{printf "%s:%d" (getv "/mode") (atoi (getv "/port"))}}', 'prod:8080'],
    ['{{printf "%q %v 100%%" "a\\"b" (split "x,y" ",")}}', '"a\\"b" [x y] 100%'],
    ['{{printf "%s %s" "one"}}', 'one %!s(MISSING)'],
  ])('%s → %s', (template, expected) => expect(render(template)).toBe(expected));

  it.each([
    ['{{eq "8080" 8080}}', /t\.tmpl: eq: cannot compare a string with a number; convert one with atoi or printf/],
    ['{{lt true false}}', /lt: booleans have no order/],
    ['{{printf "%d" "12"}}', /printf: %d needs an integer; convert a string with atoi/],
    ['{{printf "%x" 1}}', /printf: verb %x is not supported/],
    ['{{len 5}}', /len: needs a string, list or map/],
  ])('%s is a render error naming the template', (template, message) => expect(() => render(template)).toThrow(message));
});
