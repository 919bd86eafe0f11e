// The shapes a backend value takes on its way through a template, so that command output can hide them too.
import { goCase } from './go-case.js';

/** Standard base64 with padding, as the base64Decode helper accepts it. */
const base64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Where a value that holds several parts (`user:password`, `a,b`, lines) is split by a template's `split`. */
const separators = /[:;,\s]+/;
/** Enough for any real JSON document in a key; a bigger one is hidden only as stored. */
const maxLeaves = 1_000;

/**
 * The strings keyplate's helpers and messages make of `value` that carry its secret: the value itself, its quoted form
 * (an engine's error message may quote it), `toUpper`/`toLower`,
 * `trim`, `base64Encode`, `base64Decode` (when it decodes to text), the string and number leaves of `json` and
 * `jsonArray`, and `split` parts, and `base64Encode` of those leaves and parts; then case changes and leaves of what was decoded (a base64-encoded JSON
 * secret, say). Not every chain a template can build, but those the stress run saw leak (issue 13.5); the
 * render scope would know each helper's output exactly (see the report on redaction).
 */
export function secretForms(value: string): Set<string> {
  const encoded = Buffer.from(value, 'utf8').toString('base64');
  // The base64 in either case too: a key computed from it, as the env backend spells keys, is lower-cased.
  const forms = new Set<string>([value, ...caseForms(value), value.trim(), encoded, encoded.toLowerCase(), encoded.toUpperCase()]);
  // atoi's number: `0054321` and `+54321` print as 54321 (an index out of range, a sum).
  if (/^[+-]?\d+$/.test(value.trim())) forms.add(BigInt(value.trim()).toString());
  // Quoted in a message (Go's strconv.Quote, JSON): `"` and `\` escaped, as both quote them.
  forms.add(JSON.stringify(value).slice(1, -1));
  const parts = value.split(separators);
  for (const part of parts) forms.add(part);
  const decoded = decodeBase64(value);
  const leaves: string[] = [];
  for (const inner of decoded === undefined ? [value] : [value, decoded]) {
    if (inner !== value) for (const form of [inner, ...caseForms(inner), inner.trim()]) forms.add(form);
    for (const leaf of jsonLeaves(inner)) {
      leaves.push(leaf);
      forms.add(leaf);
      for (const form of caseForms(leaf)) forms.add(form);
    }
  }
  // base64Encode of a part or a field (`{{base64Encode $cfg.password}}`: an auth header, a Kubernetes-style secret).
  // Not of pieces too short to hide themselves (redact.ts's minimum, 4): their base64 would hide words such as `svc`.
  for (const piece of [...parts, ...leaves]) if (piece !== value && piece.length >= 4) forms.add(Buffer.from(piece, 'utf8').toString('base64'));
  return forms;
}

/** `toUpper`/`toLower` as keyplate's helpers make them (Go's mapping), and as JavaScript would (a command's own). */
function caseForms(text: string): string[] {
  return [goCase(text, true), goCase(text, false), text.toUpperCase(), text.toLowerCase()];
}

function decodeBase64(value: string): string | undefined {
  if (value.length < 4 || !base64.test(value)) return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  return text.includes('\uFFFD') ? undefined : text;
}

/**
 * A JSON number as JavaScript prints it, and as Go's engine prints the float64 it becomes (fmt's %v: strconv 'g'
 * with the shortest digits, an exponent of at least two digits from 1e+06 up and below 1e-04): 98765432 is
 * `9.8765432e+07` in a Go template.
 */
function numberForms(n: number): string[] {
  const [mantissa, exponent] = n.toExponential().split('e');
  const e = Number(exponent);
  if (e >= -4 && e < 6) return [String(n)];
  return [String(n), `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`];
}

/** A JSON object's or array's string and number leaves, at any depth; nothing for other text. */
function jsonLeaves(text: string): string[] {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const leaves: string[] = [];
  const pending: unknown[] = [parsed];
  while (pending.length > 0 && leaves.length < maxLeaves) {
    const node = pending.pop();
    if (typeof node === 'string') leaves.push(node);
    else if (typeof node === 'number') leaves.push(...numberForms(node));
    else if (node !== null && typeof node === 'object') pending.push(...Object.values(node));
  }
  return leaves;
}

/**
 * The forms of `value` (see secretForms) that occur in `text`, at most a few substring searches for the common
 * value: its case-insensitive core covers the value, `toUpper`, `toLower` and `trim`; the other forms are built
 * only for values that can have them (several parts, base64 or JSON text, characters a message quotes with escapes,
 * non-ASCII text, whose Go case forms differ, and integers atoi would print otherwise). `lowerText` is
 * `text.toLowerCase()`.
 */
export function secretFormsIn(value: string, text: string, lowerText: string, minimumLength: number): string[] {
  const core = value.trim().toLowerCase();
  const encoded = Buffer.from(value, 'utf8').toString('base64');
  // Forms that need not contain the value as it is: parts, decodings, JSON leaves, the quoted form.
  const more =
    separators.test(value.trim()) || base64.test(value) || /^\s*[[{]/.test(value) || /["\\\u0000-\u001f]/.test(value) ||
    /[^\u0000-\u007f]/.test(value) || // Go's case mapping differs from JavaScript's outside ASCII
    /^[+-]?0*\d+$/.test(value.trim()); // atoi's number
  if (!more && !lowerText.includes(encoded.toLowerCase()) && (core.length < minimumLength || !lowerText.includes(core))) return [];
  return [...secretForms(value)].filter((form) => form.length >= minimumLength && text.includes(form));
}
