// Nearest-rank percentiles, the definition reports state: the smallest value with at least p% of the
// values at or below it (rank ⌈p/100 × n⌉). Exact on bigint money; no interpolation, no floats.

/** Values sorted ascending (copy); bigint-safe. */
export function sortAscending<T extends bigint | number>(values: readonly T[]): T[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Rank (1-based) of the p-th percentile among n values: ⌈p × n / 100⌉, at least 1. */
export function nearestRank(p: number, n: number): number {
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100] (got ${p})`);
  // p may be fractional (99.9): scale to integers so 0.95 × 20 does not become 19.000000000000004.
  const scaled = Math.round(p * 1000);
  return Math.max(1, Math.ceil((scaled * n) / 100_000));
}

/** The p-th percentile of values already sorted ascending; undefined when there are none. */
export function percentileOfSorted<T>(sorted: readonly T[], p: number): T | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[nearestRank(p, sorted.length) - 1];
}

/** How many of n are in the top x% (the ⌈x% × n⌉ largest). */
export function topCount(percent: number, n: number): number {
  return n === 0 ? 0 : nearestRank(percent, n);
}
