// Billing cycles anchored on a per-customer day of the month, in UTC. A cycle is the half-open interval
// [start, end): a request at exactly `end` already belongs to the next cycle.

export interface Cycle {
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

export interface CycleProgress {
  daysElapsed: number; // fractional, never below MIN_DAYS_ELAPSED
  daysTotal: number; // whole days (28..31): UTC has no DST shifts
}

export const DAY_MS = 86_400_000;

/**
 * Projections divide by daysElapsed. In the cycle's first hour we pretend an hour has passed: it avoids
 * dividing by zero and damps the wild "10 requests in 3 seconds → a billion a month" projection.
 */
export const MIN_DAYS_ELAPSED = 1 / 24;

/** 00:00 UTC of (year, month, day); month may overflow (12 → January next year). */
function utc(year: number, month: number, day: number): number {
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  return d.getTime();
}

/** The cycle's anchor in a month: cycleDay, clamped to the month's last day (31 → Feb 28/29, Apr 30). */
function anchor(cycleDay: number, year: number, month: number): number {
  const lastDay = new Date(utc(year, month + 1, 0)).getUTCDate();
  return utc(year, month, Math.min(cycleDay, lastDay));
}

/** The billing cycle containing atMs for a customer whose cycle starts on cycleDay (1..31). */
export function billingCycle(cycleDay: number, atMs: number): Cycle {
  if (!Number.isInteger(cycleDay) || cycleDay < 1 || cycleDay > 31) {
    throw new RangeError(`cycleDay must be an integer 1..31, got ${cycleDay}`);
  }
  if (!Number.isFinite(atMs)) throw new RangeError(`atMs must be a finite epoch ms, got ${atMs}`);
  const at = new Date(atMs);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const thisAnchor = anchor(cycleDay, year, month);
  // Anchors are computed per month (not by adding a month to start), so 31 returns after a short month.
  return atMs >= thisAnchor
    ? { start: thisAnchor, end: anchor(cycleDay, year, month + 1) }
    : { start: anchor(cycleDay, year, month - 1), end: thisAnchor };
}

/** How far into the cycle atMs is, in fractional days; clamped to [MIN_DAYS_ELAPSED, daysTotal]. */
export function cycleProgress(cycle: Cycle, atMs: number): CycleProgress {
  const daysTotal = (cycle.end - cycle.start) / DAY_MS;
  const raw = (atMs - cycle.start) / DAY_MS;
  return { daysElapsed: Math.min(daysTotal, Math.max(MIN_DAYS_ELAPSED, raw)), daysTotal };
}
