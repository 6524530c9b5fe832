// UTC calendar arithmetic for economics: days and months as epoch ms of their first instant.

export const DAY_MS = 86_400_000;

/** 00:00 UTC of the day holding `t`. */
export const dayStart = (t: number): number => Math.floor(t / DAY_MS) * DAY_MS;

/** 00:00 UTC on the 1st of the month holding `t`. */
export function monthStart(t: number): number {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The 1st of the month after the one starting at `month`. */
export function nextMonth(month: number): number {
  const d = new Date(month);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** How many days the month holding `t` has (28–31). */
export function daysInMonth(t: number): number {
  const m = monthStart(t);
  return (nextMonth(m) - m) / DAY_MS;
}

/** Whole days in [a, b) ∩ [c, d), all day-aligned (0 when they do not meet). */
export function overlapDays(a: number, b: number, c: number, d: number): number {
  const lo = Math.max(a, c);
  const hi = Math.min(b, d);
  return hi > lo ? (hi - lo) / DAY_MS : 0;
}
