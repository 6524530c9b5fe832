// One bucket's figures in one pass over the plan-history groups: each customer's segments (the part of the
// bucket it spent on one plan) are priced and costed and go straight into per-tier sums. No per-segment
// objects are kept and sums allocate nothing per customer (PicoSum): for a 100k-customer month the
// garbage collector, not the arithmetic, used to dominate the report's time.
import type { Bucket } from '../calendar.js';
import { PicoSum } from '../pico-sum.js';
import type { CustomerSpend, EconomicsReader } from '../reader.js';
import type { CustomerTotal } from './concentration.js';
import { customerSpend, type Spend } from './customer-spend.js';
import { type HistoryGroups, type SegmentPricing, segmentsOf } from './segment-source.js';
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
  add(use: Spend | undefined, revenue: bigint, overhead: bigint): boolean {
    const cost = use ? use.costPico : 0n;
    this.customers++;
    this.cost.add(cost);
    this.overhead.add(overhead);
    this.revenue.add(revenue);
    if (cost > revenue - overhead) this.underWater++;
    if (!use || use.usedRequests === 0) return false;
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
  const { extraRevenue, ...base } = input.pricing;
  const extra = (customer: string, s: Segment): bigint => {
    let r = 0n;
    if (extraRevenue) for (const [a, z] of s.ranges) r += extraRevenue(customer, s.plan, a, z);
    return r;
  };
  const { groups, customers: roster, groupOf } = input.history;
  // Usage and the roster are both in customer order: one merge instead of a hash lookup per customer.
  const spend = await customerSpend(input.reader, b);
  const shared = groups.map((g) => segmentsOf('', g.spans, b, base));
  const split: string[] = [];
  groups.forEach((g, i) => {
    if ((shared[i] as Segment[]).length > 1) split.push(...g.customers);
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
  const tierOfGroup = shared.map((segs) => (segs.length === 1 ? tier((segs[0] as Segment).plan) : undefined));
  const active: CustomerTotal[] = [];
  let customers = 0;
  let requests = 0;
  // Usage of a customer with no plan span in the bucket: the "no plan" group.
  const none = (use: CustomerSpend) => {
    customers++;
    requests += use.requests;
    if (tier(null).add(use, 0n, input.noPlanOverheadPico))
      active.push({
        customer: use.customer,
        plan: null,
        costPico: use.costPico,
        revenuePico: 0n,
        active: true,
      });
  };
  let j = 0;
  for (let i = 0; i < roster.length; i++) {
    const customer = roster[i] as string;
    while (j < spend.length && (spend[j] as CustomerSpend).customer < customer)
      none(spend[j++] as CustomerSpend);
    const use =
      j < spend.length && (spend[j] as CustomerSpend).customer === customer ? spend[j++] : undefined;
    const g = groupOf[i] as number;
    const segs = shared[g] as Segment[];
    if (segs.length === 0) {
      if (use) none(use);
      continue;
    }
    customers++;
    const t = tierOfGroup[g];
    if (t) {
      // Most customers: one plan all bucket long, its whole usage from the bucket's rollup.
      const s = segs[0] as Segment;
      if (use) requests += use.requests;
      const x = extra(customer, s);
      const revenue = x === 0n ? s.revenuePico : s.revenuePico + x;
      if (t.add(use, revenue, s.overheadPico))
        active.push({
          customer,
          plan: s.plan,
          costPico: (use as Spend).costPico,
          revenuePico: revenue,
          active: true,
        });
      continue;
    }
    // A plan change inside the bucket: each segment gets the usage of its own days.
    const total: CustomerTotal = { customer, plan: null, costPico: 0n, revenuePico: 0n, active: false };
    for (const s of segs) {
      const part = spanSpend(days.get(customer), s.ranges);
      const revenue = s.revenuePico + extra(customer, s);
      requests += part.requests;
      total.active = tier(s.plan).add(part, revenue, s.overheadPico) || total.active;
      total.costPico += part.costPico;
      total.revenuePico += revenue;
      total.plan = s.plan;
    }
    if (total.active) active.push(total);
  }
  while (j < spend.length) none(spend[j++] as CustomerSpend);

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

/** A split customer's usage on a segment's days. */
function spanSpend(
  days: readonly CustomerSpend[] | undefined,
  ranges: readonly (readonly [number, number])[],
): Spend {
  const out = { costPico: 0n, requests: 0, usedRequests: 0 };
  for (const d of days ?? [])
    for (const [from, to] of ranges)
      if (d.key >= from && d.key < to) {
        out.costPico += d.costPico;
        out.requests += d.requests;
        out.usedRequests += d.usedRequests;
      }
  return out;
}

async function dailyByCustomer(
  reader: EconomicsReader,
  b: Bucket,
  customers: readonly string[],
): Promise<Map<string, CustomerSpend[]>> {
  const out = new Map<string, CustomerSpend[]>();
  if (customers.length === 0) return out;
  for (const d of await reader.customerSpend('day', b.from, b.to, customers)) {
    const list = out.get(d.customer);
    if (list) list.push(d);
    else out.set(d.customer, [d]);
  }
  return out;
}
