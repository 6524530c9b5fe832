// One bucket's figures in one pass over the plan-history groups: each customer's segments (the part of the
// bucket it spent on one plan) are priced and costed and go straight into per-tier sums. No per-segment
// objects are kept and sums allocate nothing per customer (PicoSum): for a 100k-customer month the
// garbage collector, not the arithmetic, used to dominate the report's time.
import type { Bucket } from '../calendar.js';
import { PicoSum } from '../pico-sum.js';
import type { EconomicsReader, UsageSums } from '../reader.js';
import { type SpendTable, SpendTableBuilder } from '../spend-table.js';
import type { CustomerTotal } from './concentration.js';
import { customerSpend } from './customer-spend.js';

type Spend = Pick<UsageSums, 'costPico' | 'requests' | 'usedRequests'>;

import type { HistoryGroups } from '../history-groups.js';
import { type SegmentPricing, sharedSegments, withExtra } from './segment-source.js';
import type { Segment } from './segments.js';

/** Sums over one plan tier's segments; percentiles come from the active segments' costs. */
export interface TierSums {
  plan: string | null;
  /** Segments on the plan (a customer has at most one per plan and bucket). */
  customers: number;
  active: number;
  /** AI cost and loaded cost (AI + overhead) of each active segment, unsorted. */
  costs: bigint[];
  loadedCosts: bigint[];
  costPico: bigint;
  loadPico: bigint;
  revenuePico: bigint;
  /** Segments whose loaded cost exceeds their revenue. */
  underWater: number;
}

export interface BucketFigures {
  tiers: TierSums[];
  /** Every active customer's totals over its segments (plan: its latest segment's). */
  active: CustomerTotal[];
  customers: number;
  requests: number;
  costPico: bigint;
  loadPico: bigint;
  revenuePico: bigint;
}

export interface BucketInput {
  reader: EconomicsReader;
  history: HistoryGroups;
  pricing: SegmentPricing;
  /** Overhead of a customer with usage and no plan span in the bucket (the "no plan" group). */
  noPlanOverheadPico: bigint;
}

class Tier {
  customers = 0;
  active = 0;
  underWater = 0;
  readonly costs: bigint[] = [];
  readonly loadedCosts: bigint[] = [];
  readonly cost = new PicoSum();
  readonly overhead = new PicoSum();
  readonly revenue = new PicoSum();
  constructor(readonly plan: string | null) {}

  /** Adds one segment; true when it was active (used tokens). */
  add(cost: bigint, used: number, revenue: bigint, overhead: bigint): boolean {
    this.customers++;
    this.cost.add(cost);
    this.overhead.add(overhead);
    this.revenue.add(revenue);
    if (cost > revenue - overhead) this.underWater++;
    if (used === 0) return false;
    this.active++;
    this.costs.push(cost);
    this.loadedCosts.push(cost + overhead);
    return true;
  }

  sums(): TierSums {
    const costPico = this.cost.value();
    return {
      plan: this.plan,
      customers: this.customers,
      active: this.active,
      costs: this.costs,
      loadedCosts: this.loadedCosts,
      costPico,
      loadPico: costPico + this.overhead.value(),
      revenuePico: this.revenue.value(),
      underWater: this.underWater,
    };
  }
}

export async function bucketFigures(input: BucketInput, b: Bucket): Promise<BucketFigures> {
  const { extraRevenue, extraCustomers, ...base } = input.pricing;
  const extra = (customer: string, s: Segment): bigint => {
    let r = 0n;
    if (extraRevenue && (!extraCustomers || extraCustomers.has(customer)))
      for (const [a, z] of s.ranges) r += extraRevenue(customer, s.plan, a, z);
    return r;
  };
  const { groups, customers: roster, groupOf } = input.history;
  // Usage and the roster are both in customer order: one merge instead of a hash lookup per customer.
  const spend = await customerSpend(input.reader, b);
  const shared = sharedSegments(groups, b, base);
  const split: string[] = [];
  // A loop, not push(...customers): a bulk plan change can put 100k customers in one group.
  groups.forEach((g, i) => {
    if ((shared[i] as Segment[]).length > 1) for (const c of g.customers) split.push(c);
  });
  const days = await dailyByCustomer(input.reader, b, split);

  const tiers = new Map<string | null, Tier>();
  const tier = (plan: string | null) => {
    let t = tiers.get(plan);
    if (!t) {
      t = new Tier(plan);
      tiers.set(plan, t);
    }
    return t;
  };
  const hasExtra = groups.map((g) => extraRevenue !== undefined && withExtra(g, extraCustomers).length > 0);
  const tierOfGroup = shared.map((segs) => (segs.length === 1 ? tier((segs[0] as Segment).plan) : undefined));
  const active: CustomerTotal[] = [];
  let customers = 0;
  let requests = 0;
  // Usage of a customer with no plan span in the bucket: the "no plan" group.
  const none = (k: number) => {
    const cost = spend.costPico[k] as bigint;
    customers++;
    requests += spend.requests[k] as number;
    if (tier(null).add(cost, spend.usedRequests[k] as number, 0n, input.noPlanOverheadPico))
      active.push({
        customer: spend.customer[k] as string,
        plan: null,
        costPico: cost,
        revenuePico: 0n,
        active: true,
      });
  };
  let j = 0;
  for (let i = 0; i < roster.length; i++) {
    const customer = roster[i] as string;
    while (j < spend.length && (spend.customer[j] as string) < customer) none(j++);
    const k = j < spend.length && spend.customer[j] === customer ? j++ : -1;
    const g = groupOf[i] as number;
    const segs = shared[g] as Segment[];
    if (segs.length === 0) {
      if (k >= 0) none(k);
      continue;
    }
    customers++;
    const t = tierOfGroup[g];
    if (t) {
      // Most customers: one plan all bucket long, its whole usage from the bucket's rollup.
      const s = segs[0] as Segment;
      const cost = k >= 0 ? (spend.costPico[k] as bigint) : 0n;
      if (k >= 0) requests += spend.requests[k] as number;
      const x = hasExtra[g] ? extra(customer, s) : 0n;
      const revenue = x === 0n ? s.revenuePico : s.revenuePico + x;
      if (t.add(cost, k >= 0 ? (spend.usedRequests[k] as number) : 0, revenue, s.overheadPico))
        active.push({ customer, plan: s.plan, costPico: cost, revenuePico: revenue, active: true });
      continue;
    }
    // A plan change inside the bucket: each segment gets the usage of its own days.
    const total: CustomerTotal = { customer, plan: null, costPico: 0n, revenuePico: 0n, active: false };
    for (const s of segs) {
      const part = spanSpend(days, customer, s.ranges);
      const revenue = s.revenuePico + extra(customer, s);
      requests += part.requests;
      total.active =
        tier(s.plan).add(part.costPico, part.usedRequests, revenue, s.overheadPico) || total.active;
      total.costPico += part.costPico;
      total.revenuePico += revenue;
      total.plan = s.plan;
    }
    if (total.active) active.push(total);
  }
  while (j < spend.length) none(j++);

  const sums = [...tiers.values()].filter((t) => t.customers > 0).map((t) => t.sums());
  const total = (pick: (t: TierSums) => bigint) => sums.reduce((n, t) => n + pick(t), 0n);
  return {
    tiers: sums,
    active,
    customers,
    requests,
    costPico: total((t) => t.costPico),
    loadPico: total((t) => t.loadPico),
    revenuePico: total((t) => t.revenuePico),
  };
}

interface Days {
  table: SpendTable;
  /** customer → [first, end) of its rows in `table`. */
  rows: Map<string, [number, number]>;
}

/** A split customer's usage on a segment's days. */
function spanSpend(days: Days, customer: string, ranges: readonly (readonly [number, number])[]): Spend {
  const out = { costPico: 0n, requests: 0, usedRequests: 0 };
  const [first, end] = days.rows.get(customer) ?? [0, 0];
  const t = days.table;
  for (let i = first; i < end; i++) {
    const day = t.key[i] as number;
    for (const [from, to] of ranges)
      if (day >= from && day < to) {
        out.costPico += t.costPico[i] as bigint;
        out.requests += t.requests[i] as number;
        out.usedRequests += t.usedRequests[i] as number;
      }
  }
  return out;
}

async function dailyByCustomer(
  reader: EconomicsReader,
  b: Bucket,
  customers: readonly string[],
): Promise<Days> {
  const rows = new Map<string, [number, number]>();
  const table =
    customers.length === 0
      ? new SpendTableBuilder().done()
      : await reader.customerSpend('day', b.from, b.to, customers);
  for (let i = 0; i < table.length; i++) {
    const c = table.customer[i] as string;
    const r = rows.get(c);
    if (r) r[1] = i + 1;
    else rows.set(c, [i, i + 1]);
  }
  return { table, rows };
}
