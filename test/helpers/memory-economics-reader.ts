import { groupHistory } from '../../src/economics/history-groups.js';
import type {
  CustomerDay,
  CustomerDetailDay,
  CustomerMonth,
  CustomerWeek,
  DimensionDay,
  EconomicsReader,
  PlanSpan,
  TagDay,
  TopUp,
  UsageSums,
} from '../../src/economics/reader.js';
import { spendFromSums } from '../../src/economics/reader.js';

/** Usage sums with everything zero but what is given. */
export function sums(s: Partial<UsageSums>): UsageSums {
  return {
    requests: 0,
    usedRequests: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    cacheHitRequests: 0,
    cacheHitInputTokens: 0,
    costPico: 0n,
    unpricedRequests: 0,
    estimatedRequests: 0,
    errorRequests: 0,
    ...s,
  };
}

/**
 * An EconomicsReader over plain arrays, for tests of code that reads rollups (simulator, reports): detail
 * rows are the source; the other rollups are their sums. Ranges are [from, to) on the row's day.
 */
export function memoryReader(
  detail: readonly CustomerDetailDay[],
  spans: readonly PlanSpan[] = [],
  topUps: readonly TopUp[] = [],
): EconomicsReader {
  const inRange = (t: number, from: number, to: number) => t >= from && t < to;
  const pick = (from: number, to: number, customers?: readonly string[]) =>
    detail.filter((r) => inRange(r.day, from, to) && (!customers || customers.includes(r.customer)));
  return {
    async customerSpend(grain, from, to, customers) {
      return spendFromSums(this, grain, from, to, customers);
    },
    async customerDetailDays(from, to, customers) {
      return pick(from, to, customers);
    },
    async customerDays(from, to, customers): Promise<CustomerDay[]> {
      return group(pick(from, to, customers), (r) => ({ customer: r.customer, day: r.day }));
    },
    async customerWeeks(from, to): Promise<CustomerWeek[]> {
      const weekOf = (day: number) => day - ((day / 86_400_000 + 3) % 7) * 86_400_000;
      return group(
        detail.filter((r) => inRange(weekOf(r.day), from, to)),
        (r) => ({ customer: r.customer, week: weekOf(r.day) }),
      );
    },
    async customerMonths(from, to, customers): Promise<CustomerMonth[]> {
      return group(pick(from, to, customers), (r) => {
        const d = new Date(r.day);
        return { customer: r.customer, month: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) };
      });
    },
    async dimensionDays(from, to): Promise<DimensionDay[]> {
      return group(
        detail.filter((r) => inRange(r.day, from, to)),
        (r) => ({ day: r.day, feature: r.feature, model: r.model, provider: r.provider }),
      );
    },
    async tagDays(): Promise<TagDay[]> {
      return [];
    },
    async historyGroups(from, to) {
      return groupHistory(await this.planHistory(from, to));
    },
    async planHistory(from, to) {
      return spans.filter((s) => s.from < to && (s.to === null || s.to > from));
    },
    async topUps(from, to) {
      return topUps.filter((t) => inRange(t.ts, from, to));
    },
    async span() {
      if (detail.length === 0) return null;
      // A loop, not Math.min(...days): spreading large arrays overflows the stack.
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const r of detail) {
        first = Math.min(first, r.day);
        last = Math.max(last, r.day);
      }
      return { first, last };
    },
  };
}

function group<K extends object>(
  rows: readonly CustomerDetailDay[],
  keyOf: (r: CustomerDetailDay) => K,
): (K & UsageSums)[] {
  const out = new Map<string, K & UsageSums>();
  for (const r of rows) {
    const k = keyOf(r);
    const id = JSON.stringify(k);
    const g = out.get(id) ?? { ...k, ...sums({}) };
    g.requests += r.requests;
    g.usedRequests += r.usedRequests;
    g.inputTokens += r.inputTokens;
    g.outputTokens += r.outputTokens;
    g.cacheReadTokens += r.cacheReadTokens;
    g.cacheWriteTokens += r.cacheWriteTokens;
    g.cacheHitRequests += r.cacheHitRequests;
    g.cacheHitInputTokens += r.cacheHitInputTokens;
    g.costPico += r.costPico;
    g.unpricedRequests += r.unpricedRequests;
    g.estimatedRequests += r.estimatedRequests;
    g.errorRequests += r.errorRequests;
    out.set(id, g);
  }
  return [...out.values()];
}
