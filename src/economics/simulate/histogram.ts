import { picoToUsd } from '../../util/money.js';

// Monthly costs per tier as a log-scale histogram for charts (the cost-per-customer distribution): bucket
// edges run 1-2-5 per decade in USD, so a heavy tail stays readable and the JSON stays small.

export interface Bucket {
  from_usd: string;
  to_usd: string;
  customers: number;
}

const PICO_PER_CENT = 10_000_000_000n;

/** Edges in pico-USD: $0.01, 0.02, 0.05, 0.1, … up past the largest value. */
function edges(max: bigint): bigint[] {
  const out: bigint[] = [0n];
  for (let decade = PICO_PER_CENT; ; decade *= 10n) {
    for (const m of [1n, 2n, 5n]) {
      out.push(decade * m);
      if (decade * m > max) return out;
    }
  }
}

/** Non-empty buckets [from, to) of the values (pico-USD), in ascending order. */
export function logHistogram(values: readonly bigint[]): Bucket[] {
  if (values.length === 0) return [];
  let max = 0n; // bigint: Math.max does not take them
  for (const v of values) if (v > max) max = v;
  const e = edges(max);
  const counts = new Array<number>(e.length - 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < e.length - 2 && v >= e[i + 1]!) i++;
    counts[i]!++;
  }
  return counts.flatMap((n, i) =>
    n === 0 ? [] : [{ from_usd: picoToUsd(e[i]!), to_usd: picoToUsd(e[i + 1]!), customers: n }],
  );
}
