// An in-memory EconomicsReader built from arrays of ledger rows (plus plan spans and top-ups): a stand-in
// for the rollups reader in tests. Written independently of src/economics so tests do not check the code
// under test against itself.

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
import type { LedgerRow } from '../../src/ledger/types.js';

const DAY = 86_400_000;
const dayOf = (ts: number) => Math.floor(ts / DAY) * DAY;
const monthOf = (ts: number) => {
  const d = new Date(ts);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};

let seq = 0;
/** A ledger row with plain defaults: 100 input + 20 output tokens costing 1,000 pico-USD. */
export function callRow(o: Partial<LedgerRow> = {}): LedgerRow {
  seq++;
  return {
    id: `req_t${String(seq).padStart(9, '0')}`,
    ts: Date.UTC(2026, 10, 1),
    customer: 'acme',
    keyId: 'key_1',
    feature: 'default',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'gpt-4o-mini',
    modelServed: 'gpt-4o-mini',
    modelRouted: null,
    inputTokens: 100,
    outputTokens: 20,
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costPico: 1_000,
    unpriced: false,
    estimated: false,
    cacheHit: false,
    status: 200,
    errorCode: null,
    latencyMs: 10,
    ttftMs: null,
    streamed: false,
    ...o,
  };
}

function sums(rows: readonly LedgerRow[]): UsageSums {
  const s: UsageSums = {
    requests: rows.length,
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
  };
  for (const r of rows) {
    const write = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
    const all = r.inputTokens + r.outputTokens + r.cacheReadTokens + write;
    if (all > 0) s.usedRequests++;
    s.inputTokens += r.inputTokens;
    s.outputTokens += r.outputTokens;
    s.cacheReadTokens += r.cacheReadTokens;
    s.cacheWriteTokens += write;
    if (r.cacheHit) {
      s.cacheHitRequests++;
      s.cacheHitInputTokens += r.inputTokens + r.cacheReadTokens + write;
    }
    s.costPico += BigInt(r.costPico ?? 0);
    if (r.unpriced) s.unpricedRequests++;
    if (r.estimated) s.estimatedRequests++;
    if (r.status >= 400) s.errorRequests++;
  }
  return s;
}

/** Groups rows by the key function; each group keeps its rows. */
function groupBy(rows: readonly LedgerRow[], key: (r: LedgerRow) => string): LedgerRow[][] {
  const m = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const k = key(r);
    const g = m.get(k);
    if (g) g.push(r);
    else m.set(k, [r]);
  }
  return [...m.values()];
}

export function memoryReader(
  rows: readonly LedgerRow[],
  plans: readonly PlanSpan[] = [],
  topUps: readonly TopUp[] = [],
): EconomicsReader {
  const inDays = (from: number, to: number, customers?: readonly string[]) =>
    rows.filter(
      (r) => dayOf(r.ts) >= from && dayOf(r.ts) < to && (!customers || customers.includes(r.customer)),
    );
  return {
    async customerSpend(grain, from, to, customers) {
      return spendFromSums(this, grain, from, to, customers);
    },
    async customerMonths(from, to, customers): Promise<CustomerMonth[]> {
      const within = rows.filter(
        (r) => monthOf(r.ts) >= from && monthOf(r.ts) < to && (!customers || customers.includes(r.customer)),
      );
      return groupBy(within, (r) => `${monthOf(r.ts)}|${r.customer}`).map((g) => ({
        customer: g[0]!.customer,
        month: monthOf(g[0]!.ts),
        ...sums(g),
      }));
    },
    async customerWeeks(): Promise<CustomerWeek[]> {
      throw new Error('recommend-reader: customerWeeks is not used by the recommender');
    },
    async customerDays(from, to, customers): Promise<CustomerDay[]> {
      return groupBy(inDays(from, to, customers), (r) => `${dayOf(r.ts)}|${r.customer}`).map((g) => ({
        customer: g[0]!.customer,
        day: dayOf(g[0]!.ts),
        ...sums(g),
      }));
    },
    async customerDetailDays(from, to, customers): Promise<CustomerDetailDay[]> {
      const model = (r: LedgerRow) => r.modelServed ?? r.modelRequested;
      return groupBy(
        inDays(from, to, customers),
        (r) => `${dayOf(r.ts)}|${r.customer}|${r.feature}|${model(r)}|${r.provider}`,
      ).map((g) => ({
        customer: g[0]!.customer,
        day: dayOf(g[0]!.ts),
        feature: g[0]!.feature,
        model: model(g[0]!),
        provider: g[0]!.provider,
        ...sums(g),
      }));
    },
    async dimensionDays(from, to): Promise<DimensionDay[]> {
      const model = (r: LedgerRow) => r.modelServed ?? r.modelRequested;
      return groupBy(inDays(from, to), (r) => `${dayOf(r.ts)}|${r.feature}|${model(r)}|${r.provider}`).map(
        (g) => ({
          day: dayOf(g[0]!.ts),
          feature: g[0]!.feature,
          model: model(g[0]!),
          provider: g[0]!.provider,
          ...sums(g),
        }),
      );
    },
    async tagDays(from, to): Promise<TagDay[]> {
      const tagged = inDays(from, to).flatMap((r) => (r.tags ?? []).map((tag) => ({ tag, r })));
      const m = new Map<string, { tag: string; day: number; rows: LedgerRow[] }>();
      for (const { tag, r } of tagged) {
        const k = `${dayOf(r.ts)}|${tag}`;
        const g = m.get(k) ?? { tag, day: dayOf(r.ts), rows: [] };
        g.rows.push(r);
        m.set(k, g);
      }
      return [...m.values()].map((g) => ({ tag: g.tag, day: g.day, ...sums(g.rows) }));
    },
    async historyGroups(from, to) {
      return groupHistory(await this.planHistory(from, to));
    },
    async planHistory(from, to) {
      return plans
        .filter((p) => p.from < to && (p.to === null || p.to > from))
        .sort((a, b) => (a.customer < b.customer ? -1 : a.customer > b.customer ? 1 : a.from - b.from));
    },
    async topUps(from, to) {
      return topUps.filter((t) => t.ts >= from && t.ts < to);
    },
    async span() {
      if (rows.length === 0) return null;
      let first = rows[0]!.ts;
      let last = first;
      for (const r of rows) {
        if (r.ts < first) first = r.ts;
        if (r.ts > last) last = r.ts;
      }
      return { first, last };
    },
  };
}
