import type { EconomicsConfig } from '../config/schema.js';
import { usdToPico } from '../util/money.js';
import { mulDivRound } from './ratio.js';

// Loaded cost = AI cost + the per-customer overhead (config economics.overheadPerCustomerUsd, a monthly
// amount); gross margin, margin floors and "under water" use it.

/** The configured monthly overhead per customer, in pico-USD. */
export const overheadPerCustomerPico = (c: EconomicsConfig): bigint => usdToPico(c.overheadPerCustomerUsd);

/**
 * A customer's share of the monthly overhead for `days` of a month of `daysInMonth` days, exact in
 * bigint and rounded half-up to the pico once (a whole month is exactly the overhead).
 */
export function overheadForDays(overheadMonthlyPico: bigint, days: number, daysInMonth: number): bigint {
  if (!Number.isInteger(days) || days < 0 || !Number.isInteger(daysInMonth) || daysInMonth < 1)
    throw new Error(`days: need whole days within a month (got ${days} of ${daysInMonth})`);
  return mulDivRound(overheadMonthlyPico, BigInt(days), BigInt(daysInMonth));
}

/** AI cost + overhead for `days` of the month (default: the whole month). */
export function loadedCostPico(
  aiCostPico: bigint,
  overheadMonthlyPico: bigint,
  daysInMonth: number,
  days = daysInMonth,
): bigint {
  return aiCostPico + overheadForDays(overheadMonthlyPico, days, daysInMonth);
}
