// The store's own command line, as keyplate's advice writes it: a missing key's hint is a command to paste.

/** `word` as /bin/sh reads it: as it is when it holds nothing the shell would change, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `command flags… rest`, each flag followed by one space. */
export function commandLine(command: string, flags: readonly string[], rest: string): string {
  return `${command} ${flags.map((f) => `${f} `).join('')}${rest}`;
}
