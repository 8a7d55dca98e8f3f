// The known names nearest a mistyped one (for "did you mean" hints): Levenshtein distance, with a
// name that extends or is extended by the mistyped one counted as near (--seed / --seeds, --work / --workers).

const bare = (s: string) => s.replace(/^-+/, '');

/** Edit distance (insertions, deletions, substitutions) between a and b. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The names of `known` nearest `name`, best first: those within `maxDistance` edits (default a third
 * of the name's length, at least 1) or that one of the two begins (at least 4 characters besides
 * leading dashes); at most `limit`.
 */
export function closest(name: string, known: Iterable<string>, limit = 3, maxDistance = Math.max(1, Math.floor(name.length / 3))): string[] {
  const scored: [string, number][] = [];
  for (const k of new Set(known)) {
    if (k === name) continue;
    const d = editDistance(name, k);
    const prefix = Math.min(bare(name).length, bare(k).length) >= 4 && (k.startsWith(name) || name.startsWith(k));
    if (d <= maxDistance || prefix) scored.push([k, prefix ? Math.min(d, 1) : d]);
  }
  return scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0])).slice(0, limit).map(([k]) => k);
}
