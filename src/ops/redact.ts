// Command output is logged, and a check or reload command may print what it read: hide backend values in it.
import type { KeyReader } from '../keys/store.js';

/** Values shorter than this are too common to hide without hiding ordinary words and numbers. */
const minimumLength = 4;

/** Replace every backend value (of at least 4 characters) found in `text` with `[value of /the/key]`. */
export function redactValues(text: string, store: KeyReader, prefixes: readonly string[]): string {
  if (!text) return text;
  const found: Array<[string, string]> = [];
  for (const prefix of prefixes) {
    for (const [key, value] of store.under(prefix)) if (value.length >= minimumLength && text.includes(value)) found.push([key, value]);
  }
  // Longest first, so a value that contains another is hidden whole.
  found.sort((a, b) => b[1].length - a[1].length);
  for (const [key, value] of found) text = text.split(value).join(`[value of ${key}]`);
  return text;
}
