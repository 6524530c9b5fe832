// One entry point for the CLI and the admin API: config + storage → the report's inputs → the report.
import type { EconomicsConfig } from '../../config/economics-schema.js';
import type { ControlStore } from '../../limits/control-store.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import { usdToPico } from '../../util/money.js';
import { type Bucket, buckets, daysInMonth, monthStart } from '../calendar.js';
import { overheadPerCustomerPico } from '../loaded-cost.js';
import { mulDivRound } from '../ratio.js';
import type { EconomicsReader } from '../reader.js';
import { buildReport, type ReportResult, weeklyBuckets } from './build.js';
import { spendQuery } from './customer-spend.js';
import { extraRevenue } from './extra-revenue.js';
import type { ReportRange } from './options.js';
import { readAhead } from './read-ahead.js';

export interface ReportDeps {
  reader: EconomicsReader;
  control: ControlStore;
  catalog: PriceCatalog;
  economics: EconomicsConfig;
}

export async function runReport(
  deps: ReportDeps,
  range: ReportRange,
  now: number,
): Promise<ReportResult & { caps: { label: string; usd: string }[] }> {
  // Asked for first: on the SQLite reader they are read on another thread while this one works on.
  const weeks = weeklyBuckets(range.to, now);
  const reader = readAhead(
    deps.reader,
    [...buckets(range.period, range.from, range.to), ...weeks].map(spendQuery),
  );
  const plans = await deps.control.listPlans();
  const prices = new Map(plans.map((p) => [p.name, usdToPico(p.spec.priceUsd)]));
  const overheadPico = overheadPerCustomerPico(deps.economics);
  // Wallets matter only for prepaid plans (whose revenue is their wallet's top-ups).
  const prepaid = [...prices.values()].some((price) => price === 0n);
  const wallets = new Map(prepaid ? (await deps.control.listCustomers()).map((c) => [c.id, c.wallet]) : []);
  // Plan history is read once for the range and the weekly view's weeks (which may start before it; they
  // end at the range's end or earlier).
  const historyFrom = Math.min(range.from, weeks[1].from);
  const historyTo = Math.max(range.to, weeks[0].to);
  const history = await deps.reader.historyGroups(historyFrom, historyTo);

  const extra = await extraRevenue(reader, history, plans, wallets, historyFrom, historyTo);
  const pricing = { prices, overheadPico, extraRevenue: extra?.of, extraCustomers: extra?.customers };
  const caps = plans
    .filter((p) => p.spec.budget?.unit === 'usd')
    .map((p) => ({ label: `${p.name} cap`, usd: p.spec.budget?.amount ?? '0' }));
  const result = await buildReport({
    reader,
    catalog: deps.catalog,
    period: range.period,
    from: range.from,
    to: range.to,
    now,
    prices,
    groups: history,
    pricing,
    // A customer without a plan span still costs its overhead for the bucket's days.
    overheadFor: (b: Bucket) =>
      mulDivRound(
        overheadPico,
        BigInt(Math.round((b.to - b.from) / 86_400_000)),
        BigInt(daysInMonth(monthStart(b.from))),
      ),
    overheadPerCustomerPico: overheadPico,
    targets: deps.economics.targets,
    classes: deps.economics.modelClasses,
  });
  return { ...result, caps };
}
