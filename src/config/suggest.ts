// Did-you-mean for names the user typed: flags, subcommands, KEYPLATE_* variables, keyplate.toml keys.

/**
 * Optimal string alignment distance between `a` and `b`: insertions, deletions, substitutions and swaps of two
 * neighbouring characters each cost 1 (`chek`→`check` 1, `confidr`→`confdir` 1). Returns `limit + 1` as soon as
 * the distance is known to exceed `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    before = previous;
    previous = row;
  }
  return previous[b.length];
}

/**
 * The candidate closest to `typed` (case-insensitive), or undefined when none is close: within a third of the
 * typed name's length in edits (at least 1, at most 3), the way git and cargo judge their suggestions.
 */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  const lower = typed.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(lower.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = editDistance(lower, candidate.toLowerCase(), limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean X?` for a close candidate, or '' (for the end of an error message). */
export function didYouMean(typed: string, candidates: Iterable<string>, show: (name: string) => string = (n) => `\`${n}\``): string {
  const match = closest(typed, candidates);
  return match === undefined ? '' : `; did you mean ${show(match)}?`;
}
