// The simulator's input: usage as token counts per customer-month, whatever it came from (the ledger's
// rollups or a synthetic population). Counts are bigint in 1/TOKEN_SCALE units so that routing shares and
// cache ratios (both in basis points) split them exactly.

import type { PlanSpan } from '../reader.js';

/** Token counts and calls are stored × 10^8: two basis-point splits (routing, then cache) stay whole. */
export const TOKEN_EXP = 8;
export const TOKEN_SCALE = 10n ** BigInt(TOKEN_EXP);

export interface Line {
  feature: string;
  /** Our provider id ('' for a line that is only a cost, e.g. a scenario's cost per task). */
  provider: string;
  model: string;
  /** Day of the month (1-based) the usage happened on, when observed; undefined: spread evenly. */
  day?: number;
  /** When to price it (dated catalog prices). */
  at: number;
  calls: bigint;
  /** Fresh (uncached) input, as in the ledger; the classes are disjoint. */
  input: bigint;
  output: bigint;
  cacheRead: bigint;
  cacheWrite5m: bigint;
  cacheWrite1h: bigint;
  /** A cost with no tokens behind it (whole pico-USD): levers on tokens leave it alone. */
  fixedPico?: bigint;
}

export interface UsageMonth {
  customer: string;
  /** Epoch ms of the 1st of the month, 00:00 UTC (0 for a synthetic month). */
  month: number;
  /** Days in the cycle: the calendar month's days, or the scenario's cycleDays. */
  daysInCycle: number;
  /** The part of the cycle observed: it starts on startDay (1-based) and lasts elapsedMs. */
  startDay: number;
  elapsedMs: number;
  /** The plan the customer is on today (null: none), and the MRR set for it, if any. */
  currentPlan: string | null;
  currentMrrPico: bigint | null;
  /** History: the customer's plan spans over the whole month, so today's revenue is prorated per day. */
  planSpans?: readonly PlanSpan[];
  /** The month's usage, one line per feature × model × provider (what is priced). */
  lines: Line[];
  /** The same usage split by the day it happened on (history), for the day a threshold is crossed. */
  days?: Line[];
}

export const emptyTokens = () => ({
  calls: 0n,
  input: 0n,
  output: 0n,
  cacheRead: 0n,
  cacheWrite5m: 0n,
  cacheWrite1h: 0n,
});
