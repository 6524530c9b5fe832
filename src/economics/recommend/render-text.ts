// The recommendation as text, its arithmetic line by line: who each tier is priced for, that customer's
// usage and loaded cost, the price search, the credits-or-runs test and the allowance.

import { PICO_PER_USD } from '../../util/money.js';
import { CREDITS_PER_USD } from './budget.js';
import type { Fraction, Variation } from './call-costs.js';
import { fraction, grouped, monthLabel, usageMonthLabel, usd } from './format.js';
import { formatBp } from './price.js';
import type { SourcedRecommendation, TierRecommendation } from './recommend.js';
import type { CallCostSource } from './types.js';

export const PERCENTILE_NOTE =
  'Percentiles are nearest-rank: the smallest value with at least p% of the customer-months at or below it (rank ⌈p/100 × n⌉).';

export const SOURCE_NOTE: Record<CallCostSource, string> = {
  ledger_rows: 'Per-call costs from raw ledger rows (every call of the period has one).',
  rollups:
    'Per-call costs approximated from rollups (raw rows pruned or absent): each customer × day × feature × model group’s calls at its average cost.',
  scenario:
    'Per-call costs from the scenario: each kind of call of a task at its modelled cost, levers applied.',
  monthly_averages: 'Per-call costs approximated by each customer-month’s average cost per call.',
};

/** A fraction of pico-USD as dollars (to the cent at least, unless `cents` is false), "≈" in front when rounded. */
function money(num: bigint, den: bigint, decimals: number, cents = true): string {
  const s = fraction(num, den * PICO_PER_USD, decimals);
  const approx = s.startsWith('≈');
  const [whole, frac = ''] = (approx ? s.slice(1) : s).split('.');
  const digits = cents ? frac.padEnd(2, '0') : frac;
  return `${approx ? '≈' : ''}$${whole}${digits ? `.${digits}` : ''}`;
}

const perCall = (f: Fraction) => money(f.num, f.den, 8);
const times = (r: Fraction) => (r.den === 0n ? '∞×' : `${fraction(r.num, r.den, 2)}×`);

function variationLine(v: Variation): string {
  return `P10 ${perCall(v.p10)}, P90 ${perCall(v.p90)}: ${times(v.ratio)} (${v.credits ? '≥' : '<'} 5×) over ${grouped(v.calls)} calls`;
}

function tierLines(t: TierRecommendation, r: SourcedRecommendation): string[] {
  const c = t.covering;
  const m = r.options.targetMarginBp;
  const cap = t.id === 'starter' ? 'hard cap' : t.id === 'pro' ? 'soft cap' : 'overage past the allowance';
  const lines = [
    `${t.label} (plan ${t.id}) — ${cap}, priced for the P${t.percentile} customer-month`,
    `  P${t.percentile} customer-month by AI cost (rank ${t.rank} of ${t.n}): ${c.customer} in ${usageMonthLabel(r, c.month)}`,
    `  ${grouped(c.runs)} calls × ${fraction(BigInt(c.tokens), BigInt(c.runs), 1)} tokens = ${grouped(c.tokens)} tokens` +
      (c.tokens > 0 ? ` at ${money(c.costPico * 1_000_000n, BigInt(c.tokens), 4, false)}/M blended` : '') +
      ` = ${usd(c.costPico)}`,
    `  ${usd(c.costPico)} + ${usd(r.options.overheadPico)} overhead = ${usd(t.loadedPico)} loaded`,
    `  price ≥ ${usd(t.loadedPico)} ÷ (1 − ${formatBp(m)}) = ${money(t.loadedPico * 10_000n, BigInt(10_000 - m), 2)} → smallest ending in 9 (from $19): $${t.priceUsd}`,
    `  margin ($${t.priceUsd} − ${usd(t.loadedPico)}) ÷ $${t.priceUsd} = ${formatBp(t.marginBp)} (target ${formatBp(m)})`,
  ];
  const v = t.variation.all;
  lines.push(
    v
      ? `  per-call cost of its calls: ${variationLine(v)} → ${t.budget.unit}`
      : `  per-call cost of its calls: none observed → runs`,
  );
  for (const [feature, fv] of t.variation.features) lines.push(`    ${feature}: ${variationLine(fv)}`);
  lines.push(...budgetLines(t, m));
  return lines;
}

function budgetLines(t: TierRecommendation, m: number): string[] {
  const b = t.budget;
  const p = `P${b.basisPercentile} ${b.unit === 'runs' ? 'runs' : 'AI cost'} (rank ${b.basisRank} of ${t.n})`;
  const usage =
    b.unit === 'runs'
      ? `${p} = ${grouped(b.basisValue)} runs`
      : `${p} = ${usd(b.basisValue)} × ${CREDITS_PER_USD} credits/USD = ${fraction(b.basisValue * CREDITS_PER_USD, PICO_PER_USD, 2)} credits`;
  const unitName = b.unit === 'runs' ? 'runs' : 'credits';
  const basisUnits = b.unit === 'runs' ? b.basisValue : b.basisValue * CREDITS_PER_USD;
  const basisDen = b.unit === 'runs' ? 1n : PICO_PER_USD;
  if (t.id === 'starter')
    return [
      `  budget: ${usage} → ÷ 0.8 = ${fraction(basisUnits * 10n, basisDen * 8n, 2)} → ${grouped(b.amount)} ${unitName} a month (median at 80%), blocked at the cap`,
    ];
  if (t.id === 'pro')
    return [
      `  budget: ${usage} → ${grouped(b.amount)} ${unitName} a month; past it calls are throttled, not refused`,
    ];
  const per = b.overageCostPerUnit!;
  const basis =
    b.unit === 'runs' ? 'average cost per run of the P99-and-up customer-months' : 'one credit costs';
  return [
    `  budget: ${usage} → ${grouped(b.amount)} ${unitName} a month, then overage`,
    `  overage: ${basis} ${money(per.num, per.den, 8)} ÷ (1 − ${formatBp(m)}) = ${money(per.num * 10_000n, per.den * BigInt(10_000 - m), 8)} → rounded up to the micro-dollar: ${usd(b.overagePico!)} per ${b.unit === 'runs' ? 'run' : 'credit'}`,
  ];
}

export function renderRecommendation(r: SourcedRecommendation): string {
  const first = r.period ? monthLabel(r.period.from) : '';
  const last = r.period ? monthLabel(r.period.to - 1) : '';
  const period =
    r.scenario !== undefined
      ? `scenario ${r.scenario} (one synthetic month per customer)`
      : !r.period
        ? 'no data'
        : first === last
          ? `${first} (UTC)`
          : `${first} to ${last} (whole UTC months)`;
  const head = [
    `Tier recommendation, ${period}: ${grouped(r.customerMonths)} active customer-months, ${grouped(r.customers)} customers`,
    PERCENTILE_NOTE,
    `Target margin ${formatBp(r.options.targetMarginBp)}; loaded cost = AI cost + ${usd(r.options.overheadPico)} overhead per customer-month (${r.scenario !== undefined ? 'the scenario’s overheadPerCustomerUsd, else ' : ''}economics.overheadPerCustomerUsd).`,
    SOURCE_NOTE[r.callCostSource] +
      (r.unpricedCalls > 0 ? ` ${grouped(r.unpricedCalls)} unpriced call(s) left out.` : ''),
    'A tier’s budget is credits when its P90 call costs ≥ 5× its P10 call, runs otherwise.',
  ];
  if (r.tiers.length === 0)
    return [
      ...head,
      '',
      `No active customers in the ${r.scenario !== undefined ? 'scenario' : 'period'}: nothing to recommend.`,
    ].join('\n');
  return [...head, ...r.tiers.flatMap((t) => ['', ...tierLines(t, r)])].join('\n');
}
