// A segment is the part of a bucket (a month or an ISO week) one customer spent on one plan: the unit
// revenue, cost, tiers and "under water" are counted in. Plan changes split a customer into segments.

export interface Segment {
  customer: string;
  /** null: the "no plan" group. */
  plan: string | null;
  /** Revenue for the segment's days (prorated per day; a whole month on one plan is its full price). */
  revenuePico: bigint;
  /** economics.overheadPerCustomerUsd prorated the same way. */
  overheadPico: bigint;
  /** The bucket's days attributed to this plan, as [from, to) ranges of whole UTC days. */
  ranges: readonly (readonly [number, number])[];
}
