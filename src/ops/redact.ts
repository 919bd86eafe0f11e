// Command output is logged, and a check or reload command may print what it read: hide backend values in it,
// in every shape the template may have given them, and never leave part of one where the output was cut.
import { secretForms, secretFormsIn } from './secret-forms.js';
import type { KeyReader } from '../keys/store.js';

/** Marks command output whose beginning was cut: what follows is the last 16 KiB (see process/commands.ts). */
export const outputCut = '[earlier output cut; the last 16 KiB follow]\n';

/** Values shorter than this are too common to hide without hiding ordinary words and numbers. */
const minimumLength = 4;

/**
 * Replace every backend value keyplate holds (of at least 4 characters; every key in `store`, not only the keys of the
 * resource whose command printed `text`: a check_cmd may read another resource's file) found in `text`, and every form a helper makes of one
 * (see secretForms: base64Decode, json fields, toUpper…), with `[value of /the/key]`. Output that runShell cut
 * (it starts with `outputCut`) may begin inside a value: that partial value is removed first.
 */
export function redactValues(text: string, store: KeyReader): string {
  if (!text) return text;
  let head = '';
  if (text.startsWith(outputCut)) {
    head = outputCut;
    text = withoutPartialSecret(text.slice(outputCut.length), allForms(store));
  }
  const lowerText = text.toLowerCase();
  const found = new Map<string, string>();
  for (const [key, value] of store.under('/')) {
    if (value.length < minimumLength) continue;
    for (const form of secretFormsIn(value, text, lowerText, minimumLength)) if (!found.has(form)) found.set(form, key);
  }
  // Longest first, so a value that contains another is hidden whole.
  for (const [form, key] of [...found].sort((a, b) => b[0].length - a[0].length)) text = text.split(form).join(`[value of ${key}]`);
  return head + text;
}

/** Every form of every value in `store`: only for output that was cut, where any of them may be split. */
function* allForms(store: KeyReader): Iterable<string> {
  for (const [, value] of store.under('/')) {
    if (value.length < minimumLength) continue;
    for (const form of secretForms(value)) if (form.length >= minimumLength) yield form;
  }
}

/**
 * `text` without the longest leading piece that ends one of `secrets` (the tail of a value whose start was cut
 * off). Any length counts, a single character too: a few characters more removed from output already cut is
 * the cheap side of the mistake.
 */
function withoutPartialSecret(text: string, secrets: Iterable<string>): string {
  let cut = 0;
  const first = text[0];
  for (const secret of secrets) {
    // The earliest start (longest tail) in this secret that the text begins with.
    for (let i = secret.indexOf(first ?? '', 1); i > 0 && secret.length - i > cut; i = secret.indexOf(first!, i + 1)) {
      if (text.startsWith(secret.slice(i))) {
        cut = secret.length - i;
        break;
      }
    }
  }
  return text.slice(cut);
}
