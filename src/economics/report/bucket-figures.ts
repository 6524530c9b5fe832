// One bucket's figures in one pass over the plan-history groups: each customer's segments (the part of the
// bucket it spent on one plan) are priced and costed and go straight into per-tier and overall sums. No
// per-segment objects are kept: a 100k-customer month would otherwise allocate several of them per
// customer, and the garbage collector, not the arithmetic, dominated the report's time.
import type { Bucket } from '../calendar.js';
import type { CustomerSpend, EconomicsReader } from '../reader.js';
import type { CustomerTotal } from './concentration.js';
import { customerSpend, type Spend } from './customer-spend.js';
import { type HistoryGroup, type SegmentPricing, segmentsOf } from './segment-source.js';

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
  tiers: Map<string | null, TierSums>;
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
  groups: readonly HistoryGroup[];
  pricing: SegmentPricing;
  /** Overhead of a customer with usage and no plan span in the bucket (the "no plan" group). */
  noPlanOverheadPico: bigint;
}

const IDLE: Spend = { costPico: 0n, requests: 0, usedRequests: 0 };

export async function bucketFigures(input: BucketInput, b: Bucket): Promise<BucketFigures> {
  const { extraRevenue, ...base } = input.pricing;
  const spend = await customerSpend(input.reader, b);
  const shared = input.groups.map((g) => segmentsOf('', g.spans, b, base));
  // Customers with two segments in the bucket: their cost is split by day.
  const split: string[] = [];
  input.groups.forEach((g, i) => {
    if ((shared[i] as unknown[]).length > 1) split.push(...g.customers);
  });
  const days = await dailyByCustomer(input.reader, b, split);

  const f: BucketFigures = {
    tiers: new Map(),
    active: [],
    customers: 0,
    requests: 0,
    costPico: 0n,
    loadPico: 0n,
    revenuePico: 0n,
  };
  const placed = new Set<string>();
  input.groups.forEach((g, i) => {
    const segs = shared[i] as ReturnType<typeof segmentsOf>;
    if (segs.length === 0) return;
    for (const customer of g.customers) {
      placed.add(customer);
      f.customers++;
      let cost = 0n;
      let revenue = 0n;
      let active = false;
      let plan: string | null = null;
      for (const s of segs) {
        let r = s.revenuePico;
        if (extraRevenue) for (const [a, z] of s.ranges) r += extraRevenue(customer, s.plan, a, z);
        const use = segs.length > 1 ? spanSpend(days.get(customer), s.ranges) : (spend.get(customer) ?? IDLE);
        active = add(f, s.plan, use, r, s.overheadPico) || active;
        cost += use.costPico;
        revenue += r;
        plan = s.plan;
      }
      if (active) f.active.push({ customer, plan, costPico: cost, revenuePico: revenue, active });
    }
  });
  for (const [customer, use] of spend) {
    if (placed.has(customer)) continue;
    f.customers++;
    if (add(f, null, use, 0n, input.noPlanOverheadPico))
      f.active.push({ customer, plan: null, costPico: use.costPico, revenuePico: 0n, active: true });
  }
  return f;
}

/** Adds one segment to its tier and the totals; true when it was active (used tokens). */
function add(f: BucketFigures, plan: string | null, use: Spend, revenue: bigint, overhead: bigint): boolean {
  let t = f.tiers.get(plan);
  if (!t) {
    t = {
      plan,
      customers: 0,
      active: 0,
      costs: [],
      loadedCosts: [],
      costPico: 0n,
      loadPico: 0n,
      revenuePico: 0n,
      underWater: 0,
    };
    f.tiers.set(plan, t);
  }
  const loaded = use.costPico + overhead;
  t.customers++;
  t.costPico += use.costPico;
  t.loadPico += loaded;
  t.revenuePico += revenue;
  if (loaded > revenue) t.underWater++;
  f.requests += use.requests;
  f.costPico += use.costPico;
  f.loadPico += loaded;
  f.revenuePico += revenue;
  if (use.usedRequests === 0) return false;
  t.active++;
  t.costs.push(use.costPico);
  t.loadedCosts.push(loaded);
  return true;
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
