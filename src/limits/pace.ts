// Upgrade and anomaly math for event payloads and the usage endpoint. Volumes are bigint (tokens,
// requests or pico-USD alike); days come from cycleProgress as fractional numbers.
import { type CycleProgress, DAY_MS } from './cycle.js';

/** Fractional days → whole ms, so the ratio below is exact integer math (days came from ms anyway). */
function toMs(days: number): bigint {
  return BigInt(Math.max(1, Math.round(days * DAY_MS)));
}

/**
 * How pace figures round: `up` for money and credits (they never understate), `nearest` for whole runs,
 * where "333.3 runs" reads as 333, not 334. Half rounds up.
 */
export type Rounding = 'up' | 'nearest';

function div(a: bigint, b: bigint, rounding: Rounding): bigint {
  // Operands here are positive.
  if (rounding === 'nearest') return (2n * a + b) / (2n * b);
  return a / b + (a % b > 0n ? 1n : 0n);
}

/** Usage by the end of the cycle at the pace so far; never less than what is already used. */
export function projectUsage(used: bigint, progress: CycleProgress, rounding: Rounding = 'up'): bigint {
  if (used <= 0n) return used;
  const elapsed = toMs(progress.daysElapsed);
  const total = toMs(progress.daysTotal);
  if (elapsed >= total) return used;
  return div(used * total, elapsed, rounding);
}

/** Average per day so far, rounded like projectUsage. */
export function dailyAverage(
  used: bigint,
  progress: Pick<CycleProgress, 'daysElapsed'>,
  rounding: Rounding = 'up',
): bigint {
  if (used <= 0n) return used;
  return div(used * BigInt(DAY_MS), toMs(progress.daysElapsed), rounding);
}

export interface PlanOption {
  name: string;
  pricePico: bigint;
  capacity: bigint | null; // null = unlimited
}

/**
 * The cheapest plan whose capacity covers `needed`; equal prices prefer the larger capacity (unlimited
 * largest), then the earlier plan in the list. undefined when no plan covers it.
 */
export function cheapestCovering<T extends PlanOption>(plans: readonly T[], needed: bigint): T | undefined {
  let best: T | undefined;
  for (const p of plans) {
    if (p.capacity !== null && p.capacity < needed) continue;
    if (!best || p.pricePico < best.pricePico || (p.pricePico === best.pricePico && larger(p, best)))
      best = p;
  }
  return best;
}

function larger(a: PlanOption, b: PlanOption): boolean {
  if (b.capacity === null) return false;
  return a.capacity === null || a.capacity > b.capacity;
}

/** How many previous days form the baseline; only the days among them with any usage count. */
export const ANOMALY_WINDOW_DAYS = 14;
/** Fewer days with usage than this in the window: no baseline, nothing is anomalous. */
export const ANOMALY_MIN_DAYS = 3;
const FACTOR_SCALE = 1000;

/**
 * Is today's volume more than `factor` × typical? Typical is the median of the days with usage among
 * the last ANOMALY_WINDOW_DAYS entries of `history` (previous days, most recent last). Calendar window,
 * then drop idle days: usage from long ago never sets the baseline, so a customer back from a long idle
 * spell has none until ANOMALY_MIN_DAYS recent active days. The factor is scaled to an integer (3 decimals) so the comparison is exact.
 */
export function isAnomalous(today: bigint, history: readonly bigint[], factor: number): boolean {
  const scaled = Math.round(factor * FACTOR_SCALE);
  if (!Number.isSafeInteger(scaled) || scaled < 1) {
    throw new RangeError(`factor must be a number >= 0.001, got ${factor}`);
  }
  const active = history
    .slice(-ANOMALY_WINDOW_DAYS)
    .filter((v) => v > 0n)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (active.length < ANOMALY_MIN_DAYS || today <= 0n) return false;
  const mid = active.length >> 1;
  // median × 2 stays an integer for even counts (sum of the two middle values).
  const medianTimes2 = active.length % 2 === 1 ? 2n * active[mid]! : active[mid - 1]! + active[mid]!;
  return today * 2n * BigInt(FACTOR_SCALE) >= BigInt(scaled) * medianTimes2;
}
