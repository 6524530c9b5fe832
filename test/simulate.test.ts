import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { tasksOf } from '../src/economics/simulate/population.js';
import { quantileFromPercentiles } from '../src/economics/simulate/quantile.js';
import { runSimulation } from '../src/economics/simulate/run.js';
import {
  type Levers,
  leversSchema,
  parseScenario,
  readScenarioFile,
  ScenarioError,
  scenarioSchema,
} from '../src/economics/simulate/scenario-schema.js';
import { simulate } from '../src/economics/simulate/simulate.js';
import { TOKEN_SCALE, type UsageMonth } from '../src/economics/simulate/types.js';
import { parsePlans, readPlansFile } from '../src/limits/plans-file.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
import { picoToUsd } from '../src/util/money.js';
import { runCli } from './helpers/cli.js';
import { ADMIN_KEY, startHarness } from './helpers/harness.js';
import { memoryReader, sums } from './helpers/memory-economics-reader.js';

const catalog = new PriceCatalog();
const AT = Date.UTC(2026, 10, 1);
const DAY = 86_400_000;
// Catalog list prices used below, USD per million tokens (checked by the first test).
const SONNET = { input: 3, output: 15, cacheRead: 0.3, cacheWrite5m: 3.75 };
const HAIKU = { input: 1, output: 5, cacheRead: 0.1 };
const LLAMA_GROQ = { input: 0.59, output: 0.79 };
const PICO_PER_MTOK = 1_000_000n; // $1/M = 1,000,000 pico-USD per token

/** Pico-USD of tokens at $ per million (prices here have at most 2 decimals: scale by 100). */
const at = (tokens: number, usdPerM: number) =>
  (BigInt(tokens) * BigInt(Math.round(usdPerM * 100)) * PICO_PER_MTOK) / 100n;

/** One synthetic customer-month: `calls` sonnet calls of 10,000 fresh input and 1,000 output tokens. */
function month(customer = 'c1', plan = 'pro'): UsageMonth {
  const k = TOKEN_SCALE;
  return {
    customer,
    month: 0,
    daysInCycle: 30,
    startDay: 1,
    elapsedMs: 30 * DAY,
    currentPlan: plan,
    currentMrrPico: null,
    lines: [
      {
        feature: 'chat',
        provider: 'anthropic',
        model: 'claude-sonnet-4-5',
        at: AT,
        calls: 100n * k,
        input: 1_000_000n * k,
        output: 100_000n * k,
        cacheRead: 0n,
        cacheWrite5m: 0n,
        cacheWrite1h: 0n,
      },
    ],
  };
}

const proPlans = parsePlans({ plans: { pro: { priceUsd: 49 } } });

function costWith(levers: unknown): string {
  const r = simulate({
    months: [month()],
    candidate: proPlans,
    current: {},
    scenario: { levers: leversSchema.parse(levers) as Levers, mapping: 'keep', overheadPerCustomerUsd: '0' },
    catalog,
  });
  return r.tiers[0]!.cost.p50!;
}

// 1,000,000 input × $3/M + 100,000 output × $15/M = $3 + $1.5
const BASE = at(1_000_000, SONNET.input) + at(100_000, SONNET.output);

describe('levers, each alone, as hand arithmetic says', () => {
  it('the catalog prices the test relies on', () => {
    const s = catalog.quote('anthropic', 'claude-sonnet-4-5', AT)!.rates;
    assert.equal(s.input.base, 3_000_000);
    assert.equal(s.output.base, 15_000_000);
    assert.equal(s.cacheRead.base, 300_000);
    assert.equal(s.cacheWrite5m.base, 3_750_000);
    const h = catalog.quote('anthropic', 'claude-haiku-4-5', AT)!.rates;
    assert.deepEqual([h.input.base, h.output.base, h.cacheRead.base], [1_000_000, 5_000_000, 100_000]);
    const l = catalog.quote('groq', 'llama-3.3-70b-versatile', AT)!.rates;
    assert.deepEqual([l.input.base, l.output.base], [590_000, 790_000]);
  });

  it('no levers: the observed tokens at list prices', () => {
    assert.equal(BASE, 4_500_000_000_000n);
    assert.equal(costWith({}), '4.5');
  });

  it('routing mix: 70% of chat calls to haiku, same token counts', () => {
    const haiku = at(1_000_000, HAIKU.input) + at(100_000, HAIKU.output); // $1.5
    const expected = (BASE * 3n) / 10n + (haiku * 7n) / 10n; // 1.35 + 1.05
    assert.equal(
      costWith({ routing: [{ feature: 'chat', to: 'claude-haiku-4-5', share: 0.7 }] }),
      picoToUsd(expected),
    );
    assert.equal(picoToUsd(expected), '2.4');
    // A rule for another feature moves nothing.
    assert.equal(costWith({ routing: [{ feature: 'search', to: 'claude-haiku-4-5', share: 0.7 }] }), '4.5');
  });

  it('open-weight alternative: all chat calls to llama on groq, priced from the catalog', () => {
    const expected = at(1_000_000, LLAMA_GROQ.input) + at(100_000, LLAMA_GROQ.output); // 0.59 + 0.079
    assert.equal(
      costWith({ openWeight: [{ to: 'llama-3.3-70b-versatile', provider: 'groq', share: 1 }] }),
      picoToUsd(expected),
    );
    assert.equal(picoToUsd(expected), '0.669');
  });

  it('cache hit ratio: h of all input at cache-read, w written, the rest fresh', () => {
    const expected =
      at(600_000, SONNET.cacheRead) +
      at(100_000, SONNET.cacheWrite5m) +
      at(300_000, SONNET.input) +
      at(100_000, SONNET.output);
    assert.equal(costWith({ cache: { hitRatio: 0.6, writeShare: 0.1 } }), picoToUsd(expected));
    assert.equal(picoToUsd(expected), '2.955'); // 0.18 + 0.375 + 0.9 + 1.5
  });

  it('negotiated discount: 80% off retail', () => {
    assert.equal(costWith({ discount: [{ provider: 'anthropic', percent: 80 }] }), picoToUsd(BASE / 5n));
    assert.equal(costWith({ discount: [{ provider: 'openai', percent: 80 }] }), '4.5');
  });

  it('batch: 30% of the work at anthropic’s default batch price (50% off)', () => {
    // 0.7 × 4.5 + 0.3 × 4.5 × 0.5 = 3.825
    assert.equal(costWith({ batch: { share: 0.3 } }), picoToUsd((BASE * 85n) / 100n));
    assert.equal(costWith({ batch: { share: 0.3, features: ['reports'] } }), '4.5');
  });

  it('price decline: 50%/yr over 12 months halves it; over 6 months × √0.5 rounded to 10^-12', () => {
    assert.equal(costWith({ priceDecline: { percentPerYear: 50, months: 12 } }), '2.25');
    assert.equal(costWith({ priceDecline: { percentPerYear: 50, months: 24 } }), '1.125');
    // √0.5 = 0.70710678118654752… → 0.707106781187; 4.5 × that = 3.1819805153415 → half up to the pico
    assert.equal(costWith({ priceDecline: { percentPerYear: 50, months: 6 } }), '3.181980515342');
  });

  it('combined: routing, cache, discount and decline in their fixed order', () => {
    const sonnet = at(180_000, SONNET.cacheRead) + at(120_000, SONNET.input) + at(30_000, SONNET.output);
    const haiku = at(420_000, HAIKU.cacheRead) + at(280_000, HAIKU.input) + at(70_000, HAIKU.output);
    assert.equal(sonnet + haiku, 1_536_000_000_000n); // 0.864 + 0.672
    const expected = (sonnet + haiku) / 4n; // 50% discount, then half again over a year
    const got = costWith({
      routing: [{ feature: 'chat', from: 'claude-sonnet-4-5', to: 'claude-haiku-4-5', share: 0.7 }],
      cache: { hitRatio: 0.6 },
      discount: [{ model: 'claude-*', percent: 50 }],
      priceDecline: { percentPerYear: 50, months: 12 },
    });
    assert.equal(got, picoToUsd(expected));
    assert.equal(got, '0.384');
  });

  it('a routing target the catalog cannot price, or without a provider, is an error naming the rule', () => {
    assert.throws(
      () => costWith({ openWeight: [{ to: 'no-such-model', provider: 'groq', share: 0.5 }] }),
      /^Error: levers\.openWeight\.0\.to: model "no-such-model" \(provider groq\) has no catalog price/,
    );
    assert.throws(
      () => costWith({ routing: [{ to: 'llama-3.3-70b-versatile', share: 0.5 }] }),
      /levers\.routing\.0\.provider: provider is required/,
    );
  });

  it('routing shares that add up to more than 1 are an error naming the rules', () => {
    assert.throws(
      () =>
        costWith({
          routing: [{ to: 'claude-haiku-4-5', share: 0.7 }],
          openWeight: [{ to: 'llama-3.3-70b-versatile', provider: 'groq', share: 0.5 }],
        }),
      /levers\.routing\.0, levers\.openWeight\.0: shares .* more than 1/,
    );
  });
});

// November 2026 has 30 days; the period observed is its first 18.
const NOV = Date.UTC(2026, 10, 1);
const day = (d: number) => NOV + (d - 1) * DAY;
const detail = (customer: string, d: number, runs: number) => ({
  customer,
  day: day(d),
  feature: 'chat',
  model: 'claude-haiku-4-5',
  provider: 'anthropic',
  ...sums({ requests: runs, usedRequests: runs, inputTokens: runs * 100, outputTokens: runs * 10 }),
});

describe('history: pace projection, days of the cycle, upgrades', () => {
  const candidate = parsePlans({
    plans: {
      basic: { priceUsd: 10, budget: { unit: 'runs', amount: 300 } },
      plus: { priceUsd: 20, budget: { unit: 'runs', amount: 333 } },
      max: { priceUsd: 50, budget: { unit: 'runs', amount: 1000 } },
    },
  });
  const current = parsePlans({ plans: { basic: { priceUsd: 8 } } });
  const spans = ['c1', 'c2'].map((customer) => ({
    customer,
    plan: 'basic',
    mrrPico: null,
    from: NOV - 90 * DAY,
    to: null,
  }));
  // c1: 200 runs on days 1–10 (20 a day), none after. c2: 100 runs on day 2, 150 on day 5.
  const rows = [
    ...Array.from({ length: 10 }, (_, i) => detail('c1', i + 1, 20)),
    detail('c2', 2, 100),
    detail('c2', 5, 150),
  ];

  it('200 runs in 18 of 30 days project 333 (rounded, not up) and upgrade to the tier that covers 333', async () => {
    const r = await runSimulation({
      candidate,
      from: NOV,
      to: day(19),
      reader: memoryReader(rows, spans),
      current,
      catalog,
      now: day(19),
    });
    assert.equal(r.source, 'history');
    const c1 = r.result.notable.find((n) => n.customer === 'c1')!;
    assert.equal(Math.round((200 * 30) / 18), 333); // 333.3…
    assert.equal(c1.projected_usage, '333');
    assert.equal(c1.start_tier, 'basic');
    assert.equal(c1.tier, 'plus'); // plus's cap is exactly 333: a ceiling (334) would have sent it to max
    // Soft (80% of 300 = 240) and cap (300) are not reached in the 18 days observed; at the pace of
    // 200 runs per 18 days they are on day ⌈240 × 18 ÷ 200⌉ = 22 and ⌈300 × 18 ÷ 200⌉ = 27.
    assert.equal(c1.soft_day, Math.ceil((240 * 18) / 200));
    assert.equal(c1.cap_day, Math.ceil((300 * 18) / 200));

    const c2 = r.result.notable.find((n) => n.customer === 'c2')!;
    // Observed: 100 by day 2, 250 by day 5 ≥ 240 → soft on day 5; the cap at pace: ⌈300 × 18 ÷ 250⌉ = 22.
    assert.equal(c2.soft_day, 5);
    assert.equal(c2.cap_day, 22);
    assert.equal(c2.projected_usage, String(Math.round((250 * 30) / 18))); // 416.7 → 417
    assert.equal(c2.tier, 'max');

    const basic = r.result.tiers.find((t) => t.plan === 'basic')!;
    assert.deepEqual(basic.soft_threshold, { customers: 2, by_day: { '5': 1, '22': 1 } });
    assert.deepEqual(basic.hard_cap, { customers: 2, by_day: { '22': 1, '27': 1 } });
    assert.deepEqual(basic.upgrades_out, { customers: 2, to: { plus: 1, max: 1 } });
    // Revenue: both paid $8 on basic; now $20 (plus) and $50 (max).
    assert.equal(r.result.totals.current_revenue_usd, '16');
    assert.equal(r.result.totals.revenue_usd, '70');
    assert.equal(r.result.totals.revenue_change_usd, '54');
  });

  it('cheapest-covering mapping places each customer by its projected runs', async () => {
    const scenario = scenarioSchema.parse({ mapping: 'cheapest-covering' });
    const r = await runSimulation({
      candidate,
      scenario,
      from: NOV,
      to: day(19),
      reader: memoryReader(rows, spans),
      current,
      catalog,
      now: 0,
    });
    const tiers = Object.fromEntries(r.result.tiers.map((t) => [t.plan, t.customers]));
    assert.deepEqual(tiers, { basic: 0, plus: 1, max: 1 });
    assert.equal(r.result.totals.upgrades, 0);
  });

  it('keep: a customer on a plan that is not a candidate goes to the cheapest covering tier, with a note', async () => {
    const legacy = [
      { customer: 'c3', plan: 'legacy', mrrPico: 5_000_000_000_000n, from: NOV - DAY, to: null },
    ];
    const r = await runSimulation({
      candidate,
      from: NOV,
      to: day(19),
      reader: memoryReader([detail('c3', 3, 150)], legacy),
      current,
      catalog,
      now: 0,
    });
    // 150 runs in 18 days → 250 by the month's end: basic (300) covers it. Today it pays its MRR, $5.
    assert.deepEqual(
      r.result.tiers.map((t) => t.customers),
      [1, 0, 0],
    );
    assert.equal(r.result.totals.revenue_change_usd, '5');
    assert.deepEqual(r.result.notes, [
      '1 customer-month(s) on legacy, not a candidate plan: placed in the cheapest tier covering their usage',
    ]);
  });

  it('a plan change mid-month: today’s revenue is each plan’s price × its days ÷ 30, as the report prorates', async () => {
    // c1: basic ($8) until the 11th, plus ($20) from the 11th on (the day goes to the plan in force at its
    // end): 10 days of basic and 20 of plus. c2: plus all month. The period replayed is the whole month.
    const prices = parsePlans({ plans: { basic: { priceUsd: 8 }, plus: { priceUsd: 20 } } });
    const spans = [
      { customer: 'c1', plan: 'basic', mrrPico: null, from: NOV - 90 * DAY, to: day(11) + 9 * 3_600_000 },
      { customer: 'c1', plan: 'plus', mrrPico: null, from: day(11) + 9 * 3_600_000, to: null },
      { customer: 'c2', plan: 'plus', mrrPico: null, from: NOV - 90 * DAY, to: null },
    ];
    const r = await runSimulation({
      candidate: prices,
      from: NOV,
      to: NOV + 30 * DAY,
      reader: memoryReader([detail('c1', 3, 5), detail('c1', 20, 5), detail('c2', 4, 5)], spans),
      current: prices,
      catalog,
      now: NOV + 30 * DAY,
    });
    const USD = 10n ** 12n;
    /** a × b ÷ c rounded half up to the pico (a, b, c ≥ 0). */
    const halfUp = (a: bigint, b: bigint, c: bigint) => (2n * a * b + c) / (2n * c);
    // 8 × 10 ÷ 30 = 2.6666…67 (rounded up), 20 × 20 ÷ 30 = 13.333…33: $16.000000000000.
    const c1 = halfUp(8n * USD, 10n, 30n) + halfUp(20n * USD, 20n, 30n);
    assert.equal(halfUp(8n * USD, 10n, 30n), 2_666_666_666_667n);
    assert.equal(c1, 16n * USD);
    const plus = r.result.tiers.find((t) => t.plan === 'plus')!;
    assert.equal(plus.customers, 2); // kept on the plan in force at the end
    assert.equal(plus.current_revenue_usd, picoToUsd(c1 + 20n * USD)); // '36', not 2 × $20
    assert.equal(plus.revenue_usd, '40');
    assert.equal(plus.revenue_change_usd, picoToUsd(40n * USD - c1 - 20n * USD));
    assert.equal(r.result.totals.current_revenue_usd, '36');
  });

  it('without a reader or a population it says what to give', async () => {
    await assert.rejects(runSimulation({ candidate, current, catalog, now: 0 }), /scenario: .*population/);
  });
});

describe('scenario validation names the field', () => {
  const err = (doc: unknown) => {
    try {
      parseScenario(doc, 'scenario.yaml');
    } catch (e) {
      assert.ok(e instanceof ScenarioError);
      return (e as Error).message;
    }
    assert.fail('expected a ScenarioError');
  };

  it('paths, file name and messages', () => {
    assert.match(
      err({ levers: { cache: { hitRatio: 1.5 } } }),
      /^scenario\.yaml: invalid scenario\n {2}levers\.cache\.hitRatio: must be a fraction/,
    );
    assert.match(
      err({ levers: { discount: [{ percent: 120 }] } }),
      /levers\.discount\.0\.percent: must be a percent/,
    );
    assert.match(err({ levers: { routing: [{ share: 0.5 }] } }), /levers\.routing\.0\.to:/);
    assert.match(
      err({ levers: { cache: { hitRatio: 0.7, writeShare: 0.4 } } }),
      /levers\.cache\.writeShare: hitRatio \+ writeShare cannot exceed 1/,
    );
    assert.match(
      err({ population: { pro: { customers: 3, tasksPerMonth: 10 } } }),
      /population\.pro\.task: needs exactly one of task or costPerTaskUsd/,
    );
    assert.match(
      err({ population: { pro: { customers: 3, tasksPerMonth: { p50: 100, p90: 50 } } } }),
      /population\.pro\.tasksPerMonth.*p90: must not be below p50/s,
    );
    assert.match(err({ mapping: 'nearest' }), /mapping:/);
    assert.match(err({ levers: { bogus: 1 } }), /levers: .*bogus/);
  });

  it('a YAML file: errors name the file and the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-sim-'));
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, 'seed: 3\nlevers:\n  cache:\n    hitRatio: 2\n');
    assert.throws(
      () => readScenarioFile(file),
      (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid scenario`),
        );
        assert.match(e.message, /levers\.cache\.hitRatio \(line 4\): must be a fraction/);
        return true;
      },
    );
    writeFileSync(file, 'levers: [\n');
    assert.throws(() => readScenarioFile(file), /not valid YAML/);
  });
});

describe('synthetic population', () => {
  it('percentiles: log-linear in normal-score space passes through the points, lognormal beyond them', () => {
    const q = quantileFromPercentiles({ p50: 150, p90: 900 });
    assert.ok(Math.abs(q(0.5) - 150) < 1e-6);
    assert.ok(Math.abs(q(0.9) - 900) < 1e-6);
    // Two points = the lognormal through them: ln Q(0.99) = ln 150 + (ln 900 − ln 150) × z99 / z90.
    const z90 = 1.2815515655446004;
    const z99 = 2.3263478740408408;
    const expected = Math.exp(Math.log(150) + (Math.log(900) - Math.log(150)) * (z99 / z90));
    assert.ok(Math.abs(q(0.99) - expected) / expected < 1e-8, `${q(0.99)} vs ${expected}`);
    const three = quantileFromPercentiles({ p50: 150, p90: 900, p99: 4000 });
    assert.ok(Math.abs(three(0.99) - 4000) < 1e-6);
  });

  it('the same seed draws the same customers; even sampling ignores the seed', () => {
    const tier = scenarioSchema.parse({
      population: {
        pro: { customers: 50, tasksPerMonth: { p50: 150, p90: 900, p99: 4000 }, costPerTaskUsd: 0.01 },
      },
    }).population!.pro!;
    assert.deepEqual(tasksOf(tier, 42, 'pro'), tasksOf(tier, 42, 'pro'));
    assert.notDeepEqual(tasksOf(tier, 42, 'pro'), tasksOf(tier, 43, 'pro'));
    const even = { ...tier, sampling: 'even' as const };
    const a = tasksOf(even, 1, 'pro');
    assert.deepEqual(a, tasksOf(even, 2, 'pro'));
    // The 25th and 26th of 50 sit at u = 0.49 and 0.51, either side of the median 150.
    assert.ok(a[24]! < 150 && a[25]! > 150);
  });
});

// The examples under examples/simulate/, checked against arithmetic done here by hand.
describe('examples reproduce', () => {
  it('playbook: per-task cost with a 60% cache hit, the P95 customer, margin floor before and after a rate cut', async () => {
    const report = await runSimulation({
      candidate: readPlansFile('examples/simulate/playbook-plans.yaml'),
      scenario: readScenarioFile('examples/simulate/playbook-scenario.yaml'),
      current: {},
      catalog,
      now: 0,
    });
    // A task: 4,000 fresh × $3/M + 6,000 cached × $0.30/M + 500 × $15/M = $0.0213.
    const task = at(4000, 3) + at(6000, 0.3) + at(500, 15);
    assert.equal(picoToUsd(task), '0.0213');
    // Tasks 40, 80, …, 800: nearest rank ⌈0.95 × 20⌉ = 19 → 760 tasks.
    const p95Before = 760n * task; // $16.188
    assert.equal(picoToUsd(p95Before), '16.188');
    // 1 − 16.188 / 49 = 0.669632… → 66.96%
    const floor = (cost: bigint) => (Math.round((1 - Number(cost) / 49e12) * 10000) / 100).toFixed(2);
    assert.equal(floor(p95Before), '66.96');
    const before = report.sensitivity.find((s) => s.levers === 'cache')!;
    assert.equal(before.margin_floor_percent.pro, '66.96');
    // After the cut: prices halve (50%/yr for 12 months) → $8.094, floor 83.48%.
    const tier = report.result.tiers[0]!;
    assert.equal(tier.cost.p95, picoToUsd(p95Before / 2n));
    assert.equal(tier.margin_floor_percent, floor(p95Before / 2n));
    assert.equal(tier.margin_floor_percent, '83.48');
    assert.equal(report.sensitivity.find((s) => s.levers === 'all')!.margin_floor_percent.pro, '83.48');
  });

  it('three tiers: percentiles, margin floors, soft and cap days, upgrades and revenue', async () => {
    const report = await runSimulation({
      candidate: readPlansFile('examples/simulate/three-tier-plans.yaml'),
      scenario: readScenarioFile('examples/simulate/three-tier-scenario.yaml'),
      current: {},
      catalog,
      now: 0,
    });
    const task = at(2000, 1) + at(300, 5); // $0.0035
    assert.equal(picoToUsd(task), '0.0035');
    const cost = (tasks: number) => BigInt(tasks) * task;
    const nearest = (xs: number[], p: number) =>
      [...xs].sort((a, b) => a - b)[Math.ceil((p / 100) * xs.length) - 1]!;
    const pct = (xs: number[]) => ({
      p50: picoToUsd(cost(nearest(xs, 50))),
      p90: picoToUsd(cost(nearest(xs, 90))),
      p95: picoToUsd(cost(nearest(xs, 95))),
      p99: picoToUsd(cost(nearest(xs, 99))),
    });
    // Starter's cap is $3: 900 tasks ($3.15) and 1000 ($3.50) pass it and upgrade to pro ($10 covers them).
    const starter = [100, 200, 300, 400, 500, 600, 700, 800];
    const pro = [900, 1000, 1000, 1200, 1400, 1600, 1800, 2000, 2200, 2400, 2600, 2800];
    const scale = [4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000, 14000];
    const t = Object.fromEntries(report.result.tiers.map((x) => [x.plan, x]));
    assert.deepEqual(t.starter!.cost, pct(starter));
    assert.deepEqual(t.pro!.cost, pct(pro));
    assert.deepEqual(t.scale!.cost, pct(scale));
    assert.deepEqual(t.pro!.cost, { p50: '5.6', p90: '9.1', p95: '9.8', p99: '9.8' });
    // The chart data: starter's costs $0.35 … $2.80 in 1-2-5 buckets, its cap and soft threshold in USD.
    assert.deepEqual(t.starter!.cost_histogram, [
      { from_usd: '0.2', to_usd: '0.5', customers: 1 }, // 0.35
      { from_usd: '0.5', to_usd: '1', customers: 1 }, // 0.70
      { from_usd: '1', to_usd: '2', customers: 3 }, // 1.05, 1.40, 1.75
      { from_usd: '2', to_usd: '5', customers: 3 }, // 2.10, 2.45, 2.80
    ]);
    assert.deepEqual(t.starter!.budget, { unit: 'usd', cap: '3', soft_at: '2.4' });
    // Margin floors: 1 − P95 ÷ price.
    assert.equal(t.starter!.margin_floor_percent, '85.26'); // 1 − 2.8/19 = 0.852631…
    assert.equal(t.pro!.margin_floor_percent, '80.00'); // 1 − 9.8/49
    assert.equal(t.scale!.margin_floor_percent, '67.11'); // 1 − 49/149 = 0.671140…
    // Soft at 80% of $3 = $2.40, spread evenly over 30 days: day ⌈2.4 × 30 ÷ cost⌉ (700 → 30, 800 → 26,
    // 900 → 23, 1000 → 21); the $3 cap: 900 → ⌈90 ÷ 3.15⌉ = 29, 1000 → ⌈90 ÷ 3.5⌉ = 26.
    const dayOf = (threshold: number, tasks: number) => Math.ceil((threshold * 30) / (tasks * 0.0035) - 1e-9);
    assert.deepEqual(
      [700, 800, 900, 1000].map((n) => dayOf(2.4, n)),
      [30, 26, 23, 21],
    );
    assert.deepEqual(t.starter!.soft_threshold, {
      customers: 4,
      by_day: { '21': 1, '23': 1, '26': 1, '30': 1 },
    });
    assert.deepEqual(t.starter!.hard_cap, {
      customers: 2,
      by_day: { [dayOf(3, 1000)]: 1, [dayOf(3, 900)]: 1 },
    });
    assert.deepEqual(t.starter!.upgrades_out, { customers: 2, to: { pro: 2 } });
    assert.equal(t.pro!.upgrades_in, 2);
    // Revenue: starter 8 × $19 (today 8 × $15); pro 12 × $49 (today 10 × $49 + 2 × $15);
    // scale 10 × $149 + overage at $1.50 per USD past $40: 12,000 tasks = $42 → $3, 14,000 = $49 → $13.50.
    assert.equal(t.starter!.revenue_usd, '152');
    assert.equal(t.starter!.revenue_change_usd, '32');
    assert.equal(t.pro!.revenue_change_usd, String(12 * 49 - (10 * 49 + 2 * 15)));
    assert.equal(t.scale!.revenue_usd, '1506.5');
    // No currentPriceUsd for scale: today's plan is the candidate of that name, overage included.
    assert.equal(t.scale!.current_revenue_usd, '1506.5');
    assert.equal(t.scale!.revenue_change_usd, '0');
    // Gross margin over the tier: 1 − Σcost ÷ Σrevenue; pro: (sum of pro tasks × 0.0035) / 588.
    const proCost = pro.reduce((s, n) => s + cost(n), 0n);
    assert.equal(t.pro!.total_cost_usd, picoToUsd(proCost));
    assert.equal(
      t.pro!.gross_margin_percent,
      (Math.round((1 - Number(proCost) / 588e12) * 10000) / 100).toFixed(2),
    );
  });
});

describe('the edges: CLI and admin API', () => {
  const playbook = [
    '--plans',
    'examples/simulate/playbook-plans.yaml',
    '--scenario',
    'examples/simulate/playbook-scenario.yaml',
  ];

  it('margin simulate --json prints the report (and creates no ledger for a synthetic population)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-sim-cli-'));
    const db = join(dir, 'none.db');
    const r = await runCli(['simulate', ...playbook, '--json', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.source, 'scenario');
    assert.equal(report.result.tiers[0].plan, 'pro');
    assert.equal(report.result.tiers[0].cost.p95, '8.094'); // 760 × $0.0213 ÷ 2
    assert.equal(report.result.tiers[0].margin_floor_percent, '83.48');
    assert.deepEqual(
      report.sensitivity.map((s: { levers: string }) => s.levers),
      ['none', 'cache', 'priceDecline', 'all'],
    );
    assert.throws(() => readFileSync(db), /ENOENT/);
  });

  it('margin simulate: text by default; a bad scenario names the file, field and line; exit 1', async () => {
    const text = await runCli(['simulate', ...playbook]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /pro\s+\$49\s+20\s+20 .*83\.48%/);
    const dir = mkdtempSync(join(tmpdir(), 'margin-sim-cli-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'population:\n  pro:\n    customers: -1\n    tasksPerMonth: 3\n    costPerTaskUsd: 1\n',
    );
    const r = await runCli([
      'simulate',
      '--plans',
      'examples/simulate/playbook-plans.yaml',
      '--scenario',
      bad,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml: invalid scenario/);
    assert.match(r.stderr, /population\.pro\.customers \(line 3\)/);
  });

  describe('POST /admin/v1/simulate', () => {
    let h: Awaited<ReturnType<typeof startHarness>>;
    before(async () => {
      h = await startHarness();
    });
    after(async () => {
      await h.close();
    });
    const post = (body: unknown) =>
      fetch(`${h.gateway.url}/admin/v1/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const yaml = (f: string) => parseYaml(readFileSync(f, 'utf8'));

    it('answers the same report as the CLI for the same inputs', async () => {
      const res = await post({
        plans: yaml('examples/simulate/three-tier-plans.yaml').plans,
        scenario: yaml('examples/simulate/three-tier-scenario.yaml'),
      });
      assert.equal(res.status, 200);
      const report = (await res.json()) as {
        result: { tiers: { plan: string; margin_floor_percent: string }[] };
      };
      assert.deepEqual(
        report.result.tiers.map((t) => [t.plan, t.margin_floor_percent]),
        [
          ['starter', '85.26'],
          ['pro', '80.00'],
          ['scale', '67.11'],
        ],
      );
    });

    it('bad input is a 400 naming the field', async () => {
      const scenario = yaml('examples/simulate/playbook-scenario.yaml');
      const plans = yaml('examples/simulate/playbook-plans.yaml').plans;
      const cases: [unknown, RegExp][] = [
        [{ scenario }, /^plans: required/],
        [{ plans: { pro: { priceUsd: 'lots' } }, scenario }, /pro\.priceUsd: must be a non-negative decimal/],
        [
          { plans, scenario: { ...scenario, levers: { batch: { share: 2 } } } },
          /levers\.batch\.share: must be a fraction/,
        ],
        [{ plans, scenario, from: { day: 1 } }, /^from: /],
        [{ plans }, /^scenario: .*population/],
      ];
      for (const [body, message] of cases) {
        const res = await post(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        const err = ((await res.json()) as { error: { message: string } }).error;
        assert.match(err.message, message);
      }
    });
  });
});

describe('config economics.batchDiscountPercent', () => {
  // One customer, 1,000 tasks a month; a task is one gpt-4o-mini call (10,000 in, 1,000 out) and one
  // claude-haiku-4-5 call (2,000 in, 300 out). Half of all work goes to batch.
  const scenario = {
    pricesAt: '2026-11-01',
    population: {
      pro: {
        tasksPerMonth: [1000],
        task: [
          { feature: 'digest', model: 'gpt-4o-mini', input: 10000, output: 1000 },
          { feature: 'digest', model: 'claude-haiku-4-5', input: 2000, output: 300 },
        ],
      },
    },
    levers: { batch: { share: 0.5 } },
  };
  const plans = { pro: { priceUsd: 49 } };
  // List: gpt-4o-mini $0.15/M in, $0.60/M out; haiku $1/M in, $5/M out (checked against the catalog).
  const mini = 1000n * (at(10_000, 0.15) + at(1_000, 0.6)); // $2.10
  const haiku = 1000n * (at(2_000, 1) + at(300, 5)); // $3.50
  // Half at (1 − d): factor 1 − 0.5 × d. openai at 30% off → 0.85; anthropic keeps its default 50% → 0.75.
  const expected = (mini * 85n) / 100n + (haiku * 75n) / 100n;
  const dir = mkdtempSync(join(tmpdir(), 'margin-sim-batch-'));
  const config = join(dir, 'margin.yaml');
  writeFileSync(config, `db: ${join(dir, 'none.db')}\neconomics:\n  batchDiscountPercent: { openai: 30 }\n`);
  const scenarioFile = join(dir, 'scenario.yaml');
  writeFileSync(scenarioFile, JSON.stringify(scenario));
  const plansFile = join(dir, 'plans.yaml');
  writeFileSync(plansFile, JSON.stringify({ plans }));

  it('the catalog prices the arithmetic uses', () => {
    const m = catalog.quote('openai', 'gpt-4o-mini', AT)!.rates;
    assert.deepEqual([m.input.base, m.output.base], [150_000, 600_000]);
    assert.equal(picoToUsd(mini), '2.1');
    assert.equal(picoToUsd(haiku), '3.5');
    assert.equal(picoToUsd(expected), '4.41'); // 1.785 + 2.625
  });

  it('the schema: merged over the defaults, 0..100 with at most 2 decimals, errors name the field', async () => {
    const { configSchema } = await import('../src/config/schema.js');
    assert.deepEqual(configSchema.parse({}).economics.batchDiscountPercent, { openai: 50, anthropic: 50 });
    assert.deepEqual(
      configSchema.parse({ economics: { batchDiscountPercent: { openai: 30, groq: 12.5 } } }).economics
        .batchDiscountPercent,
      { openai: 30, anthropic: 50, groq: 12.5 },
    );
    for (const [bad, message] of [
      [120, /<=100/],
      [-1, />=0/],
      [33.333, /at most 2 decimals/],
      ['50', /expected number/],
    ] as const) {
      const r = configSchema.safeParse({ economics: { batchDiscountPercent: { openai: bad } } });
      assert.equal(r.success, false, String(bad));
      assert.deepEqual(r.error?.issues[0]?.path, ['economics', 'batchDiscountPercent', 'openai']);
      assert.match(r.error!.issues[0]!.message, message);
    }
  });

  it('margin simulate reads it from the config file', async () => {
    const r = await runCli([
      'simulate',
      '--plans',
      plansFile,
      '--scenario',
      scenarioFile,
      '--json',
      '--config',
      config,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).result.tiers[0].cost.p50, picoToUsd(expected));
    // Without the config: both providers at the default 50% → (2.10 + 3.50) × 0.75 = 4.20.
    const d = await runCli([
      'simulate',
      '--plans',
      plansFile,
      '--scenario',
      scenarioFile,
      '--json',
      '--db',
      join(dir, 'none.db'),
    ]);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(JSON.parse(d.stdout).result.tiers[0].cost.p50, picoToUsd(((mini + haiku) * 75n) / 100n));
  });

  it('POST /admin/v1/simulate reads it from the gateway’s config', async () => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'economics:\n  batchDiscountPercent: { openai: 30 }\n');
    const h = await startHarness({ configFile: file });
    try {
      const res = await fetch(`${h.gateway.url}/admin/v1/simulate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ plans, scenario }),
      });
      assert.equal(res.status, 200);
      const report = (await res.json()) as { result: { tiers: { cost: { p50: string } }[] } };
      assert.equal(report.result.tiers[0]!.cost.p50, picoToUsd(expected));
    } finally {
      await h.close();
    }
  });
});

describe('overhead per customer: the scenario’s, else config economics.overheadPerCustomerUsd', () => {
  // One customer of 100 tasks at $0.01: $1.00 of AI cost a month.
  const scenario = (own?: string) => ({
    population: { pro: { tasksPerMonth: [100], costPerTaskUsd: '0.01' } },
    ...(own === undefined ? {} : { overheadPerCustomerUsd: own }),
  });
  const plans = { pro: { priceUsd: 49 } };
  const dir = mkdtempSync(join(tmpdir(), 'margin-sim-overhead-'));
  const config = join(dir, 'margin.yaml');
  writeFileSync(config, `db: ${join(dir, 'none.db')}\neconomics:\n  overheadPerCustomerUsd: 2\n`);
  const plansFile = join(dir, 'plans.yaml');
  writeFileSync(plansFile, JSON.stringify({ plans }));
  const scenarioFile = (name: string, own?: string) => {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(scenario(own)));
    return f;
  };

  it('runSimulation: the config’s when the scenario sets none; the scenario’s (even 0) when it does', async () => {
    const p50 = async (own: string | undefined, configPico?: bigint) =>
      (
        await runSimulation({
          candidate: parsePlans({ plans }),
          scenario: parseScenario(scenario(own)),
          current: {},
          catalog,
          now: AT,
          overheadPerCustomerPico: configPico,
        })
      ).result.tiers[0]!.cost.p50;
    assert.equal(await p50(undefined), '1'); // neither: none
    assert.equal(await p50(undefined, 2n * 10n ** 12n), '3'); // $1 + $2
    assert.equal(await p50('0.5', 2n * 10n ** 12n), '1.5'); // $1 + $0.50
    assert.equal(await p50('0', 2n * 10n ** 12n), '1');
  });

  it('margin simulate: config overhead 2 → $3 loaded; the scenario’s 0.5 wins → $1.50', async () => {
    const run = async (file: string) => {
      const r = await runCli([
        'simulate',
        '--plans',
        plansFile,
        '--scenario',
        file,
        '--json',
        '--config',
        config,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout).result.tiers[0];
    };
    const fromConfig = await run(scenarioFile('none.yaml'));
    assert.equal(fromConfig.cost.p50, '3');
    assert.equal(fromConfig.margin_floor_percent, '93.88'); // 1 − 3/49 = 0.938775…
    assert.equal((await run(scenarioFile('own.yaml', '0.5'))).cost.p50, '1.5');
  });

  it('POST /admin/v1/simulate: the same rule with the gateway’s config', async () => {
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'economics:\n  overheadPerCustomerUsd: 2\n');
    const h = await startHarness({ configFile: file });
    try {
      const p50 = async (own?: string) => {
        const res = await fetch(`${h.gateway.url}/admin/v1/simulate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ plans, scenario: scenario(own) }),
        });
        assert.equal(res.status, 200);
        return ((await res.json()) as { result: { tiers: { cost: { p50: string } }[] } }).result.tiers[0]!
          .cost.p50;
      };
      assert.equal(await p50(), '3');
      assert.equal(await p50('0.5'), '1.5');
    } finally {
      await h.close();
    }
  });
});
