// Revenue side of unit economics (issue 8, item 1): plan spans → revenue per customer per month and per
// day. Every expected figure is hand arithmetic written out here, never the code under test.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../src/config/schema.js';
import { loadedCostPico, overheadForDays, overheadPerCustomerPico } from '../src/economics/loaded-cost.js';
import type { CustomerDetailDay, PlanSpan, TopUp } from '../src/economics/reader.js';
import { computeRevenue, sumDayRevenue } from '../src/economics/revenue.js';
import type { StoredPlan } from '../src/limits/control-store.js';
import { type PlanSpecInput, planSpecSchema } from '../src/limits/plan-schema.js';

const T = (iso: string) => Date.parse(iso);
const USD = 1_000_000_000_000n; // pico-USD per USD
const JAN = T('2026-01-01T00:00:00Z');
const FEB = T('2026-02-01T00:00:00Z');
const MAR = T('2026-03-01T00:00:00Z');

const plan = (name: string, spec: PlanSpecInput): StoredPlan => ({
  name,
  spec: planSpecSchema.parse(spec),
  updatedAt: 0,
});
const PLANS: StoredPlan[] = [
  plan('pro', { priceUsd: 49 }),
  plan('scale', { priceUsd: 199 }),
  plan('payg', { priceUsd: 0 }),
  plan('usd-over', { priceUsd: 10, budget: { unit: 'usd', amount: 5 }, overage: { pricePerUnitUsd: '1.1' } }),
  plan('tok-over', {
    priceUsd: 20,
    budget: { unit: 'tokens', amount: 1_000_000 },
    overage: { pricePerUnitUsd: '0.000002' },
  }),
  plan('run-over', {
    priceUsd: 30,
    budget: { unit: 'runs', amount: 100 },
    overage: { pricePerUnitUsd: '0.25' },
  }),
  plan('cred-over', {
    priceUsd: 40,
    budget: { unit: 'credits', amount: 1000, creditsPerUsd: 100, creditsPerRun: { long_doc: 5 } },
    overage: { pricePerUnitUsd: '0.013' },
  }),
];

const span = (
  customer: string,
  p: string | null,
  from: string,
  to: string | null,
  mrrUsd?: bigint,
): PlanSpan => ({
  customer,
  plan: p,
  mrrPico: mrrUsd === undefined ? null : mrrUsd * USD,
  from: T(from),
  to: to === null ? null : T(to),
});

function usage(customer: string, day: string, u: Partial<CustomerDetailDay>): CustomerDetailDay {
  return {
    customer,
    day: T(day),
    feature: 'chat',
    model: 'gpt-4o-mini',
    provider: 'openai',
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
    ...u,
  };
}

function run(
  spans: PlanSpan[],
  opts: {
    from?: number;
    to?: number;
    topUps?: TopUp[];
    usage?: CustomerDetailDay[];
    wallets?: [string, string][];
  } = {},
) {
  return computeRevenue(
    {
      from: opts.from ?? JAN,
      to: opts.to ?? FEB,
      spans,
      plans: PLANS,
      wallets: new Map(opts.wallets ?? []),
      topUps: opts.topUps ?? [],
      usage: opts.usage ?? [],
    },
    { perDay: true },
  );
}

describe('revenue: proration by plan history', () => {
  // acme: pro ($49) from Jan 1; moves to scale ($199) on Jan 11 at 10:00. The day belongs to the plan in
  // force at its end, so pro has Jan 1–10 (10 days) and scale Jan 11–31 (21 days) of January's 31.
  const spans = [
    span('acme', 'pro', '2026-01-01T00:00:00Z', '2026-01-11T10:00:00Z'),
    span('acme', 'scale', '2026-01-11T10:00:00Z', null),
  ];

  test('a mid-month change prorates each plan exactly, rounded once per (customer, month, span)', () => {
    const { months } = run(spans);
    assert.deepEqual(
      months.map((m) => [m.plan, m.days, m.daysInMonth, m.revenuePico]),
      [
        // 49 × 10 / 31 = 15.806451612903|2258… USD → rounds down at the pico
        ['pro', 10, 31, 15_806_451_612_903n],
        // 199 × 21 / 31 = 4179 / 31 = 134.806451612903|2258… USD
        ['scale', 21, 31, 134_806_451_612_903n],
      ],
    );
  });

  test('a whole month on one plan is exactly its price; several months show each month', () => {
    const { months } = run(spans, { from: JAN, to: MAR });
    const feb = months.find((m) => m.month === FEB);
    assert.deepEqual(
      [feb?.plan, feb?.days, feb?.daysInMonth, feb?.revenuePico],
      ['scale', 28, 28, 199n * USD],
    );
    assert.deepEqual(
      months.map((m) => new Date(m.month).toISOString().slice(0, 7)),
      ['2026-01', '2026-01', '2026-02'],
    );
  });

  test('per-day revenue sums exactly: a month, and an ISO week across a month boundary', () => {
    const { days } = run(spans, { from: JAN, to: MAR });
    const inJan = days.filter((d) => d.day < FEB);
    assert.equal(inJan.length, 31);
    // (49 × 10 + 199 × 21) / 31 = 4669 / 31 = 150.612903225806|4516… USD
    assert.equal(sumDayRevenue(inJan), 150_612_903_225_806n);
    // Mon Jan 26 – Sun Feb 1: 199 × 6/31 + 199 × 1/28 = 199 × 199 / 868 = 39601 / 868 = 45.623271889400|92…
    const week = days.filter((d) => d.day >= T('2026-01-26T00:00:00Z') && d.day < T('2026-02-02T00:00:00Z'));
    assert.equal(week.length, 7);
    assert.equal(sumDayRevenue(week), 45_623_271_889_401n);
    // One day alone: 199 / 28 = 7.107142857142|857… USD
    assert.equal(days.find((d) => d.day === FEB)?.revenuePico, 7_107_142_857_143n);
  });

  test('a partial range earns its days only; days before the first span earn nothing', () => {
    // late: pro from Jan 21 12:00 → owns Jan 21–31, 11 days: 49 × 11 / 31 = 539 / 31 = 17.387096774193|548…
    const { months, days } = run([span('late', 'pro', '2026-01-21T12:00:00Z', null)]);
    assert.deepEqual(
      months.map((m) => [m.days, m.revenuePico]),
      [[11, 17_387_096_774_194n]],
    );
    assert.equal(days.length, 11);
    // Range Jan 10–20 (10 days) on a customer on pro all month: 49 × 10 / 31 again.
    const part = run([span('acme', 'pro', '2025-12-01T00:00:00Z', null)], {
      from: T('2026-01-10T00:00:00Z'),
      to: T('2026-01-20T00:00:00Z'),
    });
    assert.deepEqual(
      part.months.map((m) => [m.days, m.revenuePico]),
      [[10, 15_806_451_612_903n]],
    );
  });

  test('a span shorter than a day inside one day owns no day', () => {
    const { months } = run([
      span('flip', 'scale', '2026-01-05T09:00:00Z', '2026-01-05T11:00:00Z'),
      span('flip', 'pro', '2026-01-05T11:00:00Z', null),
    ]);
    // pro owns Jan 5–31: 27 days → 49 × 27 / 31 = 1323 / 31 = 42.677419354838|709…
    assert.deepEqual(
      months.map((m) => [m.plan, m.days, m.revenuePico]),
      [['pro', 27, 42_677_419_354_839n]],
    );
  });
});

describe('revenue: MRR, no plan, prepaid', () => {
  test('an MRR replaces the price (and overage); an MRR change mid-month is its own span', () => {
    const { months } = run(
      [
        span('bolt', 'pro', '2026-01-01T00:00:00Z', '2026-01-16T00:00:00Z', 120n),
        span('bolt', 'pro', '2026-01-16T00:00:00Z', null, 150n),
        span('full', 'usd-over', '2025-06-01T00:00:00Z', null, 80n),
      ],
      // far past usd-over's $5 budget: an MRR customer is billed its MRR only
      { usage: [usage('full', '2026-01-09T00:00:00Z', { costPico: 500n * USD, usedRequests: 9 })] },
    );
    assert.deepEqual(
      months.map((m) => [m.customer, m.basis, m.days, m.revenuePico, m.overagePico]),
      [
        // 120 × 15 / 31 = 1800 / 31 = 58.064516129032|258…
        ['bolt', 'mrr', 15, 58_064_516_129_032n, 0n],
        // 150 × 16 / 31 = 2400 / 31 = 77.419354838709|677…
        ['bolt', 'mrr', 16, 77_419_354_838_710n, 0n],
        ['full', 'mrr', 31, 80n * USD, 0n],
      ],
    );
  });

  test('customers without a plan form the "no plan" group: 0, unless given an MRR', () => {
    const { months } = run([
      span('cog', null, '2025-01-01T00:00:00Z', null),
      span('dot', null, '2026-01-12T00:00:00Z', null, 30n),
    ]);
    assert.deepEqual(
      months.map((m) => [m.customer, m.plan, m.basis, m.revenuePico]),
      [
        ['cog', null, 'none', 0n],
        // 30 × 20 / 31 = 600 / 31 = 19.354838709677|419…
        ['dot', null, 'mrr', 19_354_838_709_677n],
      ],
    );
  });

  test('every subscribed customer pays, active or not (no usage at all still earns the price)', () => {
    const { months } = run([span('idle', 'scale', '2025-01-01T00:00:00Z', null)]);
    assert.equal(months[0]?.revenuePico, 199n * USD);
  });

  test('prepaid plans earn their top-ups in the period, each on its day; shared wallets count once', () => {
    const topUps: TopUp[] = [
      { wallet: 'pp', ts: T('2026-01-05T13:00:00Z'), amountPico: 20n * USD },
      { wallet: 'pp', ts: T('2026-01-20T08:00:00Z'), amountPico: 10_500_000_000_000n },
      { wallet: 'pp', ts: T('2026-02-02T08:00:00Z'), amountPico: 5n * USD }, // outside January
      { wallet: 'pp', ts: T('2025-12-30T08:00:00Z'), amountPico: 7n * USD }, // outside, and before the plan
      { wallet: 'team', ts: T('2026-01-07T00:00:00Z'), amountPico: 12n * USD },
      { wallet: 'paid', ts: T('2026-01-07T00:00:00Z'), amountPico: 9n * USD }, // a priced plan: not revenue
    ];
    const { months, days } = run(
      [
        span('pp', 'payg', '2026-01-01T00:00:00Z', null),
        span('team-b', 'payg', '2026-01-01T00:00:00Z', null),
        span('team-a', 'payg', '2026-01-01T00:00:00Z', null),
        span('paid', 'pro', '2025-01-01T00:00:00Z', null),
      ],
      {
        topUps,
        wallets: [
          ['team-a', 'team'],
          ['team-b', 'team'],
        ],
      },
    );
    const rev = Object.fromEntries(months.map((m) => [m.customer, [m.basis, m.revenuePico]]));
    assert.deepEqual(rev, {
      pp: ['prepaid', 30_500_000_000_000n], // 20 + 10.5
      'team-a': ['prepaid', 12n * USD], // the shared wallet "team" counts for the first id
      'team-b': ['prepaid', 0n],
      paid: ['price', 49n * USD],
    });
    const ppDays = days.filter((d) => d.customer === 'pp' && d.revenuePico > 0n);
    assert.deepEqual(
      ppDays.map((d) => [new Date(d.day).toISOString().slice(0, 10), d.revenuePico]),
      [
        ['2026-01-05', 20n * USD],
        ['2026-01-20', 10_500_000_000_000n],
      ],
    );
  });
});

describe('revenue: overage in each budget unit', () => {
  const jan = (customer: string, p: string) => [span(customer, p, '2025-12-01T00:00:00Z', null)];

  test('usd: units past the budget × price, rounded up to the pico', () => {
    const { months } = run(jan('u', 'usd-over'), {
      usage: [
        usage('u', '2026-01-03T00:00:00Z', { costPico: 4n * USD, usedRequests: 3 }),
        usage('u', '2026-01-28T00:00:00Z', { costPico: 3_250_000_000_001n, usedRequests: 1, feature: 'doc' }),
        usage('u', '2026-02-01T00:00:00Z', { costPico: 100n * USD, usedRequests: 1 }), // February's
      ],
    });
    // used 7.250000000001 − budget 5 = 2.250000000001 USD × $1.1 = 2.4750000000011 → up: 2.475000000002
    assert.deepEqual(
      months.map((m) => [m.overageUnits, m.overagePico, m.revenuePico]),
      [[2_250_000_000_001n, 2_475_000_000_002n, 12_475_000_000_002n]],
    );
  });

  test('tokens: all tokens (fresh input, output, cache reads and writes)', () => {
    const { months } = run(jan('t', 'tok-over'), {
      usage: [
        usage('t', '2026-01-03T00:00:00Z', { inputTokens: 600_000, outputTokens: 100_000 }),
        usage('t', '2026-01-04T00:00:00Z', {
          outputTokens: 200_000,
          cacheReadTokens: 150_000,
          cacheWriteTokens: 50_000,
        }),
      ],
    });
    // 1,100,000 tokens − 1,000,000 = 100,000 × $0.000002 = $0.2
    assert.deepEqual(
      months.map((m) => [m.overageUnits, m.overagePico, m.revenuePico]),
      [[100_000n, 200_000_000_000n, 20_200_000_000_000n]],
    );
  });

  test('runs: calls that used tokens (refusals do not count)', () => {
    const { months } = run(jan('r', 'run-over'), {
      usage: [
        usage('r', '2026-01-03T00:00:00Z', { requests: 90, usedRequests: 80 }),
        usage('r', '2026-01-09T00:00:00Z', { requests: 50, usedRequests: 50, feature: 'doc' }),
      ],
    });
    // 130 runs − 100 = 30 × $0.25 = $7.5
    assert.deepEqual(
      months.map((m) => [m.overageUnits, m.revenuePico]),
      [[30n, 37_500_000_000_000n]],
    );
  });

  test('credits: cost × creditsPerUsd, or per-run credits by feature', () => {
    const { months } = run(jan('c', 'cred-over'), {
      usage: [
        // $8.000000000001 × 100 credits/USD = 800.0000000001 credits
        usage('c', '2026-01-03T00:00:00Z', { costPico: 8_000_000_000_001n, usedRequests: 40 }),
        // 50 runs × 5 credits = 250 credits (cost does not matter)
        usage('c', '2026-01-04T00:00:00Z', { costPico: 99n * USD, usedRequests: 50, feature: 'long_doc' }),
      ],
    });
    // 1050.0000000001 − 1000 = 50.0000000001 credits × $0.013 = 0.6500000000013 → up: 0.650000000002
    assert.deepEqual(
      months.map((m) => [m.overageUnits, m.overagePico, m.revenuePico]),
      [[50_000_000_000_100n, 650_000_000_002n, 40_650_000_000_002n]],
    );
  });

  test('under the budget: no overage; a plan change mid-month counts only its own days', () => {
    const { months } = run(
      [
        span('m', 'run-over', '2025-12-01T00:00:00Z', '2026-01-16T00:00:00Z'),
        span('m', 'scale', '2026-01-16T00:00:00Z', null),
      ],
      {
        usage: [
          usage('m', '2026-01-10T00:00:00Z', { usedRequests: 100 }), // exactly the budget
          usage('m', '2026-01-20T00:00:00Z', { usedRequests: 500 }), // on scale: no overage there
        ],
      },
    );
    // run-over for Jan 1–15: 30 × 15 / 31 = 450 / 31 = 14.516129032258|0645…; scale 199 × 16 / 31 =
    // 3184 / 31 = 102.709677419354|838…
    assert.deepEqual(
      months.map((m) => [m.plan, m.overageUnits, m.revenuePico]),
      [
        ['run-over', 0n, 14_516_129_032_258n],
        ['scale', 0n, 102_709_677_419_355n],
      ],
    );
  });
});

describe('loaded cost', () => {
  test('economics.overheadPerCustomerUsd: default 0, exact decimal, errors name the field', () => {
    assert.equal(configSchema.parse({}).economics.overheadPerCustomerUsd, '0');
    const c = configSchema.parse({ economics: { overheadPerCustomerUsd: 3 } });
    assert.equal(overheadPerCustomerPico(c.economics), 3n * USD);
    // A number or decimal text, exact to the pico.
    const n = configSchema.parse({ economics: { overheadPerCustomerUsd: 2.5 } });
    assert.equal(overheadPerCustomerPico(n.economics), 2_500_000_000_000n);
    const t = configSchema.parse({ economics: { overheadPerCustomerUsd: '0.1' } });
    assert.equal(overheadPerCustomerPico(t.economics), 100_000_000_000n);
    assert.equal(configSchema.safeParse({ economics: { overheadPerCustomerUsd: -1 } }).success, false);
    const bad = configSchema.safeParse({ economics: { overheadPerCustomerUsd: '-1' } });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['economics', 'overheadPerCustomerUsd']);
  });

  test('AI cost + overhead, prorated by days and rounded half-up once', () => {
    assert.equal(loadedCostPico(1_800_000_000_000n, 2n * USD, 31), 3_800_000_000_000n); // $1.80 + $2.00
    // $3 × 10 / 31 = 30 / 31 = 0.967741935483|870…
    assert.equal(overheadForDays(3n * USD, 10, 31), 967_741_935_484n);
    assert.throws(() => overheadForDays(USD, 1.5, 31), /^Error: days: /);
  });
});
