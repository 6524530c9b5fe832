// Small statistics helpers (exact percentiles over all samples, nearest-rank).

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Summary in the samples' own unit (milliseconds here). */
export function summarize(values) {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { n: 0, mean: null, p50: null, p90: null, p99: null, max: null };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    n,
    mean: sum / n,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[n - 1],
  };
}

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/** Median of the finite numbers in xs (mean of the middle two for an even count); null if none. */
export function median(xs) {
  const v = xs.filter(isNum).sort((a, b) => a - b);
  if (!v.length) return null;
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** { min, max } of the finite numbers in xs (nulls if none). */
export function range(xs) {
  const v = xs.filter(isNum);
  return v.length ? { min: Math.min(...v), max: Math.max(...v) } : { min: null, max: null };
}
