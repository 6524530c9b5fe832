import { DAY_MS } from './rollup-sql.js';

const LOWEST = -(2 ** 53 - 1);
const HIGHEST = 2 ** 53 - 1;

/**
 * A time range [from, to) read from rollups where whole UTC days allow, and from raw rows at its ragged
 * ends: raw [lo, d0), rollup days [d0, d1), raw [d1, hi). An open end reaches as far as there is data.
 * Rollups keep what pruning removed from the raw rows, so whole days read the same before and after.
 */
export interface DaySplit {
  lo: number;
  d0: number;
  d1: number;
  hi: number;
}

export function splitDays(from: number | undefined, to: number | undefined): DaySplit {
  const lo = from ?? LOWEST;
  const hi = to ?? HIGHEST;
  let d0 = from === undefined ? LOWEST : Math.ceil(from / DAY_MS) * DAY_MS;
  let d1 = to === undefined ? HIGHEST : Math.floor(to / DAY_MS) * DAY_MS;
  if (d0 >= d1) {
    // Within one day: raw rows only.
    d0 = hi;
    d1 = hi;
  }
  return { lo, d0, d1, hi };
}

/** The raw-row part of a split, for a WHERE clause over `requests` (named parameters lo, d0, d1, hi). */
export const RAW_EDGES = '((ts >= @lo AND ts < @d0) OR (ts >= @d1 AND ts < @hi))';
/** The rollup part of a split, for a WHERE clause over a day-keyed rollup. */
export const ROLLUP_DAYS = 'day >= @d0 AND day < @d1';
