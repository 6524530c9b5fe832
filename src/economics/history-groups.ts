// Customers grouped by identical plan history. A report prices one group's segments once per bucket,
// not each of its customers'; 100k customers fall into a few thousand groups. Only the days of a span
// matter (each day belongs to the plan in force at its end), so spans are kept as whole days.
import { dayStart } from './calendar.js';
import type { PlanSpan } from './reader.js';

/** Customers grouped by identical history (plan, MRR and days): most share one, computed once per bucket. */
export interface HistoryGroup {
  /** Their spans, as whole days (`customer` is empty: the group's customers share them). */
  spans: readonly PlanSpan[];
  customers: string[];
}

/** The groups, and every customer in id order with the index of its group (for merging with usage). */
export interface HistoryGroups {
  groups: HistoryGroup[];
  /** Ascending by id (ids are ASCII: JS and SQLite order them alike). */
  customers: string[];
  groupOf: Int32Array;
}

/** Groups spans ordered by customer then start (what EconomicsReader.planHistory returns). */
export function groupHistory(history: readonly PlanSpan[]): HistoryGroups {
  const rows: [string, string][] = [];
  let i = 0;
  while (i < history.length) {
    const customer = (history[i] as PlanSpan).customer;
    const parts: string[] = [];
    for (; i < history.length && (history[i] as PlanSpan).customer === customer; i++)
      parts.push(spanKey(history[i] as PlanSpan));
    rows.push([customer, parts.join(SPAN_SEP)]);
  }
  return groupsFromKeys(rows);
}

/** The spans of the groups `keep` selects, one per customer and span (customer filled in). */
export function spansOf(h: HistoryGroups, keep: (g: HistoryGroup) => boolean): PlanSpan[] {
  const out: PlanSpan[] = [];
  for (const g of h.groups)
    if (keep(g)) for (const customer of g.customers) for (const s of g.spans) out.push({ ...s, customer });
  return out;
}

/**
 * Groups from one row per customer, ascending by customer: its id and its spans encoded by spanKey and SPAN_SEP (as
 * the SQLite reader builds them in SQL, so a report never holds one object per span).
 */
export function groupsFromKeys(rows: Iterable<readonly [string, string]>): HistoryGroups {
  const index = new Map<string, number>();
  const groups: HistoryGroup[] = [];
  const customers: string[] = [];
  const groupOf: number[] = [];
  for (const [customer, key] of rows) {
    let g = index.get(key);
    if (g === undefined) {
      g = groups.length;
      index.set(key, g);
      groups.push({ spans: parseHistoryKey(key), customers: [] });
    }
    (groups[g] as HistoryGroup).customers.push(customer);
    if (customers.length > 0 && !((customers[customers.length - 1] as string) < customer))
      throw new Error(`plan history is not ordered by customer (${customer})`);
    customers.push(customer);
    groupOf.push(g);
  }
  return { groups, customers, groupOf: Int32Array.from(groupOf) };
}

/** Field and span separators of a history key (neither can occur in a plan name). */
export const FIELD_SEP = '\u001f';
export const SPAN_SEP = '\u001e';

/** One span as a history key part: plan ('' for none), MRR pico ('' for the plan's price), from day, to day ('' open). */
export const spanKey = (s: PlanSpan): string =>
  [s.plan ?? '', s.mrrPico ?? '', dayStart(s.from), s.to === null ? '' : dayStart(s.to)].join(FIELD_SEP);

function parseHistoryKey(key: string): PlanSpan[] {
  return key.split(SPAN_SEP).map((part) => {
    const [plan, mrr, from, to] = part.split(FIELD_SEP) as [string, string, string, string];
    return {
      customer: '',
      plan: plan === '' ? null : plan,
      mrrPico: mrr === '' ? null : BigInt(mrr),
      from: Number(from),
      to: to === '' ? null : Number(to),
    };
  });
}
