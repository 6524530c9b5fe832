import { DAY_MS } from '../../limits/cycle.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import type { EconomicsReader, PlanSpan } from '../reader.js';
import { type Line, TOKEN_SCALE, type UsageMonth } from './types.js';

// Observed usage from the reader: per customer × calendar month (UTC) × day × feature × model, as token
// counts the levers can re-price. The billing cycle simulated is the calendar month (as in reports); a
// month only partly inside [from, to) is projected to the whole month at its pace (simulate.ts).

export const monthStart = (t: number): number => {
  const d = new Date(t);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
export const nextMonth = (m: number): number => {
  const d = new Date(m);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

export async function historyMonths(
  reader: EconomicsReader,
  catalog: PriceCatalog,
  from: number,
  to: number,
): Promise<UsageMonth[]> {
  // Plan history over the whole months: today's revenue is prorated over every day of each month.
  const [detail, spans] = await Promise.all([
    reader.customerDetailDays(from, to),
    reader.planHistory(monthStart(from), nextMonth(monthStart(to - 1))),
  ]);
  const spansOf = new Map<string, PlanSpan[]>();
  for (const s of spans) {
    const list = spansOf.get(s.customer);
    if (list) list.push(s);
    else spansOf.set(s.customer, [s]);
  }
  const months = new Map<string, UsageMonth>();
  const monthOf = (customer: string, m: number): UsageMonth => {
    const key = `${customer}\u0000${m}`;
    let u = months.get(key);
    if (!u) {
      const start = Math.max(from, m);
      const end = Math.min(to, nextMonth(m));
      const history = spansOf.get(customer) ?? [];
      const plan = planAt(history, end - 1);
      u = {
        customer,
        month: m,
        daysInCycle: Math.round((nextMonth(m) - m) / DAY_MS),
        startDay: Math.floor((start - m) / DAY_MS) + 1,
        elapsedMs: end - start,
        currentPlan: plan?.plan ?? null,
        currentMrrPico: plan?.mrrPico ?? null,
        planSpans: history,
        lines: [],
      };
      months.set(key, u);
    }
    return u;
  };
  for (const r of detail) {
    if (r.usedRequests === 0) continue;
    const m = monthStart(r.day);
    const line: Line = {
      feature: r.feature,
      provider: r.provider,
      model: r.model,
      day: Math.floor((r.day - m) / DAY_MS) + 1,
      at: r.day,
      calls: BigInt(r.usedRequests) * TOKEN_SCALE,
      input: BigInt(r.inputTokens) * TOKEN_SCALE,
      output: BigInt(r.outputTokens) * TOKEN_SCALE,
      cacheRead: BigInt(r.cacheReadTokens) * TOKEN_SCALE,
      // The rollup keeps both write TTLs together; they are priced at the 5-minute rate.
      cacheWrite5m: BigInt(r.cacheWriteTokens) * TOKEN_SCALE,
      cacheWrite1h: 0n,
    };
    // A model the catalog cannot price keeps the cost the ledger recorded (its unpriced calls have none).
    if (!catalog.quote(r.provider, r.model, r.day)) line.fixedPico = r.costPico;
    const u = monthOf(r.customer, m);
    if (u.days) u.days.push(line);
    else u.days = [line];
    addTo(u, line);
  }
  // Subscribed customers pay whether or not they used anything.
  for (const s of spans) {
    if (s.plan === null || s.from >= to) continue;
    const history = spansOf.get(s.customer) ?? [];
    for (let m = monthStart(Math.max(from, s.from)); m < Math.min(to, s.to ?? to); m = nextMonth(m)) {
      if (planAt(history, Math.min(to, nextMonth(m)) - 1)?.plan) monthOf(s.customer, m);
    }
  }
  return [...months.values()].sort((a, b) => a.month - b.month || (a.customer < b.customer ? -1 : 1));
}

/** Adds a day's line to the month's line of the same feature, model and provider. */
function addTo(u: UsageMonth, d: Line): void {
  const l = u.lines.find((x) => x.feature === d.feature && x.model === d.model && x.provider === d.provider);
  if (!l) {
    u.lines.push({ ...d, day: undefined });
    return;
  }
  l.calls += d.calls;
  l.input += d.input;
  l.output += d.output;
  l.cacheRead += d.cacheRead;
  l.cacheWrite5m += d.cacheWrite5m;
  l.cacheWrite1h += d.cacheWrite1h;
  if (d.fixedPico !== undefined) l.fixedPico = (l.fixedPico ?? 0n) + d.fixedPico;
  if (d.at > l.at) l.at = d.at;
}

/** The span in force at t among one customer's spans (ordered by from). */
function planAt(spans: readonly PlanSpan[], t: number): PlanSpan | undefined {
  let found: PlanSpan | undefined;
  for (const s of spans) if (s.from <= t && (s.to === null || t < s.to)) found = s;
  return found;
}
