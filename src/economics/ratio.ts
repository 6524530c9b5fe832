// Exact ratios of integers rendered as percentages to 0.01 (round half away from zero), and exact
// pico-USD sums. Reports never pass money through a float.
import { picoToUsd } from '../util/money.js';

/** num ÷ den as a percentage with two decimals, e.g. 1n, 3n → "33.33"; null when den is 0. */
export function percentText(num: bigint, den: bigint): string | null {
  if (den === 0n) return null;
  const neg = num < 0n !== den < 0n && num !== 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const hundredths = (n * 10_000n * 2n + d) / (2n * d); // round half up on the magnitude
  const whole = hundredths / 100n;
  const frac = (hundredths % 100n).toString().padStart(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** 1 − num ÷ den as a percentage (margins): (den − num) ÷ den. */
export const marginText = (cost: bigint, revenue: bigint): string | null =>
  percentText(revenue - cost, revenue);

export const usd = (pico: bigint): string => picoToUsd(pico);

/** num ÷ den (both ≥ 0, den > 0) rounded half up to an integer. */
export const roundHalfUp = (num: bigint, den: bigint): bigint => (2n * num + den) / (2n * den);

/** a × num ÷ den rounded half up, in bigint (proration of money). */
export function mulDivRound(a: bigint, num: bigint, den: bigint): bigint {
  return roundHalfUp(a * num, den);
}
