// UTC calendar arithmetic for reports: days, calendar months and ISO weeks (Monday 00:00 UTC).
export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;

export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonth(monthMs: number): number {
  const d = new Date(monthMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

export function daysInMonth(ms: number): number {
  return Math.round((nextMonth(monthStart(ms)) - monthStart(ms)) / DAY_MS);
}

/** Monday 00:00 UTC of the ISO week holding `ms` (1970-01-01 was a Thursday). */
export function isoWeekStart(ms: number): number {
  const day = dayStart(ms);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
  return day - weekday * DAY_MS;
}

export const nextWeek = (weekMs: number): number => weekMs + WEEK_MS;

/** "2026-W48": the ISO week-numbering year is the year of the week's Thursday. */
export function isoWeekLabel(weekMs: number): string {
  const thursday = new Date(weekMs + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export const monthLabel = (monthMs: number): string => new Date(monthMs).toISOString().slice(0, 7);
export const dayLabel = (dayMs: number): string => new Date(dayMs).toISOString().slice(0, 10);

export type PeriodKind = 'month' | 'week';

export interface Bucket {
  label: string;
  from: number;
  to: number;
  /** True when the bucket is cut by the report's range (a month to date, say). */
  partial: boolean;
}

/** The months or ISO weeks covering [from, to), each clipped to the range. */
export function buckets(kind: PeriodKind, from: number, to: number): Bucket[] {
  const out: Bucket[] = [];
  const start = kind === 'month' ? monthStart : isoWeekStart;
  const next = kind === 'month' ? nextMonth : nextWeek;
  const label = kind === 'month' ? monthLabel : isoWeekLabel;
  for (let b = start(from); b < to; b = next(b)) {
    const e = next(b);
    out.push({ label: label(b), from: Math.max(b, from), to: Math.min(e, to), partial: b < from || e > to });
  }
  return out;
}

/** Whole days in [a, b) ∩ [c, d), all day-aligned (0 when they do not meet). */
export function overlapDays(a: number, b: number, c: number, d: number): number {
  const lo = Math.max(a, c);
  const hi = Math.min(b, d);
  return hi > lo ? (hi - lo) / DAY_MS : 0;
}
