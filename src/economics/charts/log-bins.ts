// Log-spaced histogram bins with exact decimal edges (Renard preferred numbers: 1, 1.25, 1.6, 2, …),
// so bin membership is decided on integer pico-USD and "$1.60–$2" means exactly that.

/** Bin edges within one decade, as hundredths of the decade's first value. */
const R10 = [100, 125, 160, 200, 250, 315, 400, 500, 630, 800];
const R5 = [100, 160, 250, 400, 630];
const R1 = [100];
/** Smallest decade drawn: 1e-10 USD (100 pico); cheaper costs fall into the first bin. */
const MIN_EXPONENT = -10;

export interface LogBin {
  /** Inclusive lower edge, exclusive upper edge, pico-USD. */
  loPico: bigint;
  hiPico: bigint;
  count: number;
}

export interface LogBinning {
  /** Axis range in decades: 10^minExponent … 10^maxExponent USD. */
  minExponent: number;
  maxExponent: number;
  bins: LogBin[];
}

/** floor(log10(usd)) of a positive pico-USD amount, exactly (from its digits). */
export function decadeOf(pico: bigint): number {
  if (pico <= 0n) throw new Error('decadeOf: amount must be positive');
  return pico.toString().length - 1 - 12;
}

function edgePico(exponent: number, hundredths: number): bigint {
  // hundredths × 10^(exponent − 2) USD = hundredths × 10^(exponent + 10) pico; exponent ≥ −10.
  return BigInt(hundredths) * 10n ** BigInt(exponent + 10);
}

/** Bin positive costs (pico) over whole decades that also cover every extra amount (markers). */
export function logBins(positive: readonly bigint[], extra: readonly bigint[] = []): LogBinning {
  const all = [...positive, ...extra].filter((v) => v > 0n);
  if (all.length === 0) return { minExponent: 0, maxExponent: 1, bins: [] };
  let lo = all[0]!;
  let hi = all[0]!;
  for (const v of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const minExponent = Math.max(MIN_EXPONENT, decadeOf(lo));
  // The top edge is exclusive, so the top decade is the one above the largest value.
  const maxExponent = Math.max(minExponent + 1, decadeOf(hi) + 1);
  const span = maxExponent - minExponent;
  const steps = span <= 2 ? R10 : span <= 6 ? R5 : R1;

  const edges: bigint[] = [];
  for (let e = minExponent; e < maxExponent; e++) for (const h of steps) edges.push(edgePico(e, h));
  edges.push(edgePico(maxExponent, 100));

  const bins: LogBin[] = [];
  for (let i = 0; i + 1 < edges.length; i++)
    bins.push({ loPico: edges[i]!, hiPico: edges[i + 1]!, count: 0 });
  for (const v of positive) {
    if (v <= 0n) continue;
    // Binary search for the last bin whose lower edge is ≤ v (values under the first edge go to bin 0).
    let a = 0;
    let b = bins.length - 1;
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if (bins[mid]!.loPico <= v) a = mid;
      else b = mid - 1;
    }
    bins[a]!.count++;
  }
  return { minExponent, maxExponent, bins };
}
