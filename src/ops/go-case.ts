// Case as Go's strings.ToUpper/ToLower change it, in one place: the template helpers of both engines render with it,
// and redaction (secret-forms.ts) hides exactly the forms they make.

/**
 * strings.ToUpper/ToLower as Go (and so confd) does them: rune by rune, simple case mappings only. Go keeps `ß`
 * (JavaScript writes `SS`) and lowers `İ` to `i` (JavaScript adds a combining dot); both engines use this, so a
 * template renders the same bytes in either.
 */
export function goCase(s: string, upper: boolean): string {
  let out = '';
  for (const ch of s) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    if (mapped.length === ch.length || [...mapped].length === 1) out += mapped;
    else out += ch === '\u0130' && !upper ? 'i' : ch;
  }
  return out;
}
