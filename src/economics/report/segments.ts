// A segment is the part of a bucket (a month or an ISO week) one customer spent on one plan: the unit
// revenue, cost, tiers and "under water" are counted in. Plan changes split a customer into segments.
import type { Bucket } from '../calendar.js';

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

/** Every subscribed customer's segments in a bucket (customers without a plan span are not listed). */
export interface SegmentSource {
  segments(bucket: Bucket): Promise<Segment[]>;
  /** Revenue and overhead of all of them together (cheaper than summing segments). */
  totals(bucket: Bucket): Promise<{ revenuePico: bigint; overheadPico: bigint }>;
}

/** A segment with the AI cost attributed to its days. */
export interface CostedSegment extends Segment {
  costPico: bigint;
  requests: number;
  /** At least one call that used tokens on the segment's days. */
  active: boolean;
}

export const loaded = (s: CostedSegment): bigint => s.costPico + s.overheadPico;
