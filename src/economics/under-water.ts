// customer.under_water: once per customer and calendar month, when the month's loaded cost (AI cost +
// overhead) passes the month's revenue. Checked in the background for customers with calls since the last
// check only, so its cost follows traffic, not the number of customers.
import { randomBytes } from 'node:crypto';
import type { EventRecord } from '../ledger/types.js';
import { picoToUsd } from '../util/money.js';
import { type Bucket, DAY_MS, dayStart, monthLabel, monthStart, nextMonth } from './calendar.js';
import type { EconomicsReader, PlanSpan } from './reader.js';
import { type SegmentPricing, segmentsOf } from './report/segment-source.js';

export interface UnderWaterInput {
  reader: EconomicsReader;
  pricing: SegmentPricing;
  /** Customers with calls since the last check. */
  customers: readonly string[];
  /** One customer's plan spans overlapping [from, to): read per customer, never the whole table. */
  history: (customer: string, from: number, to: number) => Promise<PlanSpan[]>;
  now: number;
}

export async function underWaterEvents(input: UnderWaterInput): Promise<EventRecord[]> {
  if (input.customers.length === 0) return [];
  const month = monthStart(input.now);
  const bucket: Bucket = { label: monthLabel(month), from: month, to: nextMonth(month), partial: false };
  const cost = new Map<string, bigint>();
  for (const d of await input.reader.customerDays(month, dayStart(input.now) + DAY_MS, input.customers))
    cost.set(d.customer, (cost.get(d.customer) ?? 0n) + d.costPico);
  const events: EventRecord[] = [];
  for (const customer of input.customers) {
    const ai = cost.get(customer) ?? 0n;
    const spans = await input.history(customer, month, bucket.to);
    const segs = segmentsOf(customer, spans, bucket, input.pricing);
    // The whole month's revenue: a subscriber pays for the month it is in, used or not.
    let revenue = 0n;
    let overhead = segs.length ? 0n : input.pricing.overheadPico;
    for (const s of segs) {
      revenue += s.revenuePico;
      overhead += s.overheadPico;
    }
    const loaded = ai + overhead;
    if (loaded <= revenue) continue;
    const plan = segs.at(-1)?.plan ?? null;
    events.push({
      id: `evt_${randomBytes(12).toString('hex')}`,
      type: 'customer.under_water',
      customer,
      ts: input.now,
      dedupeKey: `customer.under_water:${customer}:${bucket.label}`,
      payload: JSON.stringify({
        customer,
        month: bucket.label,
        plan,
        cost_usd: picoToUsd(ai),
        loaded_cost_usd: picoToUsd(loaded),
        revenue_usd: picoToUsd(revenue),
      }),
    });
  }
  return events;
}
