// The tier recommender: prices, caps, credits-or-runs and plans.yaml from crafted populations whose
// answers are worked out by hand in each test (never by calling the code under test).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { recommendFromLedger } from '../src/economics/recommend/ledger.js';
import { plansYaml } from '../src/economics/recommend/plans-yaml.js';
import { presentRecommendation } from '../src/economics/recommend/present-json.js';
import { parseTargetMargin, priceEndingIn9 } from '../src/economics/recommend/price.js';
import { recommend } from '../src/economics/recommend/recommend.js';
import { renderRecommendation } from '../src/economics/recommend/render-text.js';
import { scanRows } from '../src/economics/recommend/scan-rows.js';
import { recommendFromScenario } from '../src/economics/recommend/scenario.js';
import type { CallCostSample, MonthlyUsage } from '../src/economics/recommend/types.js';
import { parseScenario } from '../src/economics/simulate/scenario-schema.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { readPlansFile } from '../src/limits/plans-file.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
import { picoToUsd } from '../src/util/money.js';
import { runCli } from './helpers/cli.js';
import { ADMIN_KEY, type Harness, startHarness } from './helpers/harness.js';
import { callRow, memoryReader } from './helpers/recommend-reader.js';
import { rowsReader } from './helpers/rows-reader.js';

const USD = 1_000_000_000_000n;
const NOV = Date.UTC(2026, 10, 1);
const DEC = Date.UTC(2026, 11, 1);
const HOUR = 3_600_000;
const id = (i: number) => `c${String(i).padStart(3, '0')}`;

/**
 * 100 customers in November 2026: customer i makes i calls of 800 input + 200 output tokens, each costing
 * exactly $0.10, so its month costs $0.10 × i. Nearest rank: P50 is rank 50 (c050: 50 calls, $5.00), P90
 * rank 90 ($9.00), P99 rank 99 ($9.90).
 */
function populationA(): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (let i = 1; i <= 100; i++)
    for (let k = 0; k < i; k++)
      rows.push(
        callRow({
          customer: id(i),
          ts: NOV + k * HOUR + i * 1000,
          inputTokens: 800,
          outputTokens: 200,
          costPico: 100_000_000_000, // $0.10
          feature: 'chat',
        }),
      );
  return rows;
}

describe('price ending in 9', () => {
  test('meeting the target margin exactly is enough; a pico-dollar more moves to the next price', () => {
    // 19 × (1 − 0.7) = 5.70: a $5.70 loaded cost leaves exactly 70% at $19.
    assert.equal(priceEndingIn9(5_700_000_000_000n, 7000), 19n);
    assert.equal(priceEndingIn9(5_700_000_000_001n, 7000), 29n);
    // 29 × 0.3 = 8.70; 99 × 0.3 = 29.70; 109 × 0.3 = 32.70.
    assert.equal(priceEndingIn9(8_700_000_000_000n, 7000), 29n);
    assert.equal(priceEndingIn9(8_700_000_000_001n, 7000), 39n);
    assert.equal(priceEndingIn9(29_700_000_000_001n, 7000), 109n);
    // Margin 0: the price only has to cover the cost; $99.01 → $109 (100, 101… do not end in 9).
    assert.equal(priceEndingIn9(99n * USD, 0), 99n);
    assert.equal(priceEndingIn9(99_010_000_000_000n, 0), 109n);
    // Nothing below $19, even for a free customer.
    assert.equal(priceEndingIn9(0n, 7000), 19n);
    // 75.25%: 39 × 0.2475 = 9.6525.
    assert.equal(priceEndingIn9(9_652_500_000_000n, 7525), 39n);
    assert.equal(priceEndingIn9(9_652_500_000_001n, 7525), 49n);
  });

  test('target margin: a fraction below 1 with at most 4 decimals, errors name the field', () => {
    assert.equal(parseTargetMargin('--target-margin', '0.7'), 7000);
    assert.equal(parseTargetMargin('--target-margin', '0.7525'), 7525);
    assert.equal(parseTargetMargin('--target-margin', '0'), 0);
    assert.equal(parseTargetMargin('--target-margin', undefined), 7000);
    for (const bad of ['1', '1.2', '-0.1', '70', '0.75251', 'x', '0.7.1'])
      assert.throws(() => parseTargetMargin('--target-margin', bad), /^Error: --target-margin: must be/);
  });

  test('a covering customer that exactly meets the target shows 70.00%', async () => {
    const months: MonthlyUsage[] = [
      { customer: 'a', month: NOV, runs: 3, tokens: 300, costPico: 5_700_000_000_000n },
    ];
    const r = await recommend({ months, options: { targetMarginBp: 7000, overheadPico: 0n } });
    const starter = presentRecommendation({ ...r, period: null }).tiers[0]!;
    assert.equal(starter.price_usd, '19');
    assert.equal(starter.margin_percent, '70.00'); // (19 − 5.70) ÷ 19 = 13.30 ÷ 19 = 0.7
  });
});

describe('tiers from a crafted population of 100 customers', () => {
  const rows = populationA();
  const reader = memoryReader(rows);

  test('caps and prices, $2 overhead, 70% target', async () => {
    const r = await recommendFromLedger({
      reader,
      options: { targetMarginBp: 7000, overheadPico: 2n * USD },
    });
    const j = presentRecommendation(r);
    assert.equal(j.active_customer_months, 100);
    assert.deepEqual(j.period, { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    const [starter, pro, high] = j.tiers;
    // Starter: P50 = c050, $5.00 + $2 = $7.00 loaded; 7 ÷ 0.3 = 23.33 → $24 → $29; (29 − 7) ÷ 29 = 75.862% → 75.86.
    assert.equal(starter!.covering.customer, 'c050');
    assert.equal(starter!.covering.calls, 50);
    assert.equal(starter!.covering.tokens, 50_000);
    assert.equal(starter!.covering.loaded_usd, '7');
    assert.equal(starter!.price_usd, '29');
    assert.equal(starter!.margin_percent, '75.86');
    // Pro: P90 = c090, $9 + $2 = $11; 11 ÷ 0.3 = 36.67 → $37 → $39; 28 ÷ 39 = 71.794% → 71.79.
    assert.equal(pro!.covering.customer, 'c090');
    assert.equal(pro!.price_usd, '39');
    assert.equal(pro!.margin_percent, '71.79');
    // High volume: P99 = c099, $9.90 + $2 = $11.90; 11.9 ÷ 0.3 = 39.67 → $40 → $49; 37.1 ÷ 49 = 75.714% → 75.71.
    assert.equal(high!.covering.customer, 'c099');
    assert.equal(high!.price_usd, '49');
    assert.equal(high!.margin_percent, '75.71');
    // Every call costs the same: P90 ÷ P10 = 1× → runs. Starter: P50 runs 50 ÷ 0.8 = 62.5 → 63.
    assert.equal(starter!.per_call_cost!.p90_over_p10, '1');
    assert.equal(starter!.budget.unit, 'runs');
    assert.equal(starter!.budget.amount, '63');
    assert.deepEqual(starter!.plan, {
      priceUsd: '29',
      budget: { unit: 'runs', amount: '63' },
      hardCap: { action: 'block' },
    });
    // Pro: the P99 customer's 99 runs, soft (throttled past the cap).
    assert.deepEqual(pro!.plan, {
      priceUsd: '39',
      budget: { unit: 'runs', amount: '99' },
      hardCap: { action: 'throttle' },
    });
    // High volume: 99 runs, then overage: c099 + c100 cost $19.90 over 199 runs = $0.10 a run; ÷ 0.3 =
    // $0.3333… → rounded up to the micro-dollar $0.333334.
    assert.deepEqual(high!.plan, {
      priceUsd: '49',
      budget: { unit: 'runs', amount: '99' },
      overage: { pricePerUnitUsd: '0.333334' },
    });
  });

  test('overhead moves the prices: none at all', async () => {
    const r = await recommendFromLedger({ reader, options: { targetMarginBp: 7000, overheadPico: 0n } });
    // 5 ÷ 0.3 = 16.67 → $19 (the floor); 9 ÷ 0.3 = 30 exactly → $39; 9.9 ÷ 0.3 = 33 → $39.
    assert.deepEqual(
      r.tiers.map((t) => t.priceUsd),
      [19n, 39n, 39n],
    );
    // (19 − 5) ÷ 19 = 73.68%.
    assert.equal(presentRecommendation(r).tiers[0]!.margin_percent, '73.68');
  });

  test('the text output shows the arithmetic line by line', async () => {
    const r = await recommendFromLedger({
      reader,
      options: { targetMarginBp: 7000, overheadPico: 2n * USD },
    });
    const text = renderRecommendation(r);
    assert.match(text, /nearest-rank/);
    // c050: 50 calls × 1,000 tokens; $5 ÷ 50,000 tokens = $100 per million.
    assert.match(text, /^Tier recommendation, 2026-11 \(UTC\): 100 active customer-months, 100 customers\n/);
    assert.match(text, /50 calls × 1,000 tokens = 50,000 tokens at \$100\/M blended = \$5\.00\n/);
    assert.match(text, /\$5\.00 \+ \$2\.00 overhead = \$7\.00 loaded/);
    assert.match(
      text,
      /price ≥ \$7\.00 ÷ \(1 − 70\.00%\) = ≈\$23\.33 → smallest ending in 9 \(from \$19\): \$29/,
    );
    assert.match(text, /margin \(\$29 − \$7\.00\) ÷ \$29 = 75\.86%/);
    assert.match(text, /overage: .* \$0\.10 ÷ \(1 − 70\.00%\) = ≈\$0\.33333333 → .*: \$0\.333334 per run/);
    assert.match(text, /P50 runs \(rank 50 of 100\) = 50 runs → ÷ 0\.8 = 62\.5 → 63 runs a month/);
    // The memory reader stands for rollups and no raw store is given: averages per group.
    assert.match(text, /approximated from rollups/);
  });

  test('no active customers: nothing to recommend, and nothing to write', async () => {
    const r = await recommendFromLedger({
      reader: memoryReader([]),
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    assert.equal(r.tiers.length, 0);
    assert.match(renderRecommendation(r), /No active customers/);
    assert.throws(() => plansYaml(r), /--write: no active customers/);
  });
});

describe('credits or runs', () => {
  // Ten customer-months of $1.00 each: all sit in Starter's band (≤ P50 ÷ 0.8).
  const months: MonthlyUsage[] = Array.from({ length: 10 }, (_, i) => ({
    customer: id(i + 1),
    month: NOV,
    runs: 10,
    tokens: 1000,
    costPico: USD,
  }));
  /** Ten calls of one customer each; P10 is the 1st cheapest, P90 the 9th (nearest rank over 10). */
  const withCalls = (costs: bigint[]) => async (add: (s: CallCostSample) => void) => {
    costs.forEach((c, i) => {
      add({ customer: id(i + 1), month: NOV, feature: 'agent', num: c, den: 1n, weight: 1 });
    });
    return 'ledger_rows' as const;
  };

  test('P90 exactly 5× P10 → credits; a pico-dollar less → runs', async () => {
    const at5 = [100n, 200n, 200n, 200n, 200n, 200n, 200n, 200n, 500n, 900n];
    const r = await recommend({
      months,
      collectCalls: withCalls(at5),
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    const starter = r.tiers[0]!;
    assert.equal(starter.budget.unit, 'credits');
    // P50 cost $1.00 × 100 credits/USD = 100 credits; ÷ 0.8 = 125.
    assert.deepEqual(starter.budget.spec.budget, { unit: 'credits', amount: '125', creditsPerUsd: '100' });
    const j = presentRecommendation({ ...r, period: null }).tiers[0]!;
    assert.equal(j.features[0]!.feature, 'agent');
    assert.equal(j.features[0]!.p90_over_p10, '5');
    assert.equal(j.features[0]!.p10_usd, '0.0000000001');

    const below = [...at5];
    below[8] = 499n;
    const r2 = await recommend({
      months,
      collectCalls: withCalls(below),
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    assert.equal(r2.tiers[0]!.budget.unit, 'runs');
    // P50 runs 10 ÷ 0.8 = 12.5 → 13.
    assert.deepEqual(r2.tiers[0]!.budget.spec.budget, { unit: 'runs', amount: '13' });
    assert.equal(
      presentRecommendation({ ...r2, period: null }).tiers[0]!.per_call_cost!.p90_over_p10,
      '4.99',
    );
  });

  test('free P10 calls with a priced P90: unbounded spread, credits', async () => {
    const costs = [0n, 0n, 10n, 10n, 10n, 10n, 10n, 10n, 10n, 10n];
    const r = await recommend({
      months,
      collectCalls: withCalls(costs),
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    assert.equal(r.tiers[0]!.budget.unit, 'credits');
    assert.equal(presentRecommendation({ ...r, period: null }).tiers[0]!.per_call_cost!.p90_over_p10, null);
  });

  test('high volume on credits: overage per credit = $0.01 ÷ (1 − margin), rounded up to the micro-dollar', async () => {
    const costs = [100n, 200n, 200n, 200n, 200n, 200n, 200n, 200n, 500n, 900n];
    const r = await recommend({
      months,
      collectCalls: withCalls(costs),
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    const high = r.tiers[2]!;
    assert.equal(high.budget.unit, 'credits');
    // P99 (rank 10 of 10) cost $1.00 → 100 credits; 0.01 ÷ 0.3 = 0.0333… → 0.033334.
    assert.deepEqual(high.budget.spec, {
      priceUsd: '19',
      budget: { unit: 'credits', amount: '100', creditsPerUsd: '100' },
      overage: { pricePerUnitUsd: '0.033334' },
    });
  });
});

describe('per-call costs: raw rows, else rollups', () => {
  /**
   * Customer k (1..10) makes 10 calls on 2026-11-03 in one feature: 5 free, 5 at 200k pico-USD, so its
   * month costs 1,000k pico and its calls average 100k. P50 (rank 5) = 5,000; Starter's band (cost ≤
   * 6,250) holds c001–c006: 60 calls.
   */
  const rows: LedgerRow[] = [];
  for (let k = 1; k <= 10; k++)
    for (let c = 0; c < 10; c++)
      rows.push(
        callRow({
          customer: id(k),
          ts: NOV + 2 * 86_400_000 + c * 1000 + k,
          costPico: c < 5 ? 0 : 200 * k,
          feature: 'summarize',
        }),
      );
  const stores: SqliteStore[] = [];
  after(async () => {
    for (const s of stores) await s.close();
  });
  async function storeWith(list: LedgerRow[]): Promise<SqliteStore> {
    const s = new SqliteStore(':memory:');
    stores.push(s);
    await s.append(list);
    return s;
  }

  test('every row present: the raw rows are used (P10 is a free call: unbounded spread)', async () => {
    const store = await storeWith(rows);
    const r = await recommendFromLedger({
      reader: rowsReader(store),
      store,
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    assert.equal(r.callCostSource, 'ledger_rows');
    const starter = presentRecommendation(r).tiers[0]!;
    assert.equal(starter.per_call_cost!.calls, 60);
    assert.equal(starter.per_call_cost!.p10_usd, '0');
    // 60 calls of c001–c006: rank 54 of the sorted costs: 30 free, then 5 each of 200…1,200 → the 24th
    // priced call is c005's (200 × 5 = 1,000 pico).
    assert.equal(starter.per_call_cost!.p90_usd, '0.000000001');
    assert.equal(starter.budget.unit, 'credits');
  });

  test('rows pruned: rollup averages per customer × day × feature × model', async () => {
    const store = await storeWith(rows.slice(0, 50));
    const r = await recommendFromLedger({
      reader: memoryReader(rows),
      store,
      options: { targetMarginBp: 7000, overheadPico: 0n },
    });
    assert.equal(r.callCostSource, 'rollups');
    const starter = presentRecommendation(r).tiers[0]!;
    // Averages k × 100 pico for c001–c006, 10 calls each: P10 rank 6 → 100, P90 rank 54 → 600: 6×.
    assert.equal(starter.per_call_cost!.p10_usd, '0.0000000001');
    assert.equal(starter.per_call_cost!.p90_usd, '0.0000000006');
    assert.equal(starter.per_call_cost!.p90_over_p10, '6');
    assert.match(renderRecommendation(r), /approximated from rollups/);
  });
});

describe('reading raw rows', () => {
  test('every row once, across pages and past a page of rows sharing one millisecond', async () => {
    const store = new SqliteStore(':memory:');
    try {
      const rows = [
        ...Array.from({ length: 2_500 }, () => callRow({ ts: NOV + 5_000 })),
        ...Array.from({ length: 1_700 }, (_, i) => callRow({ ts: NOV + i })),
        callRow({ ts: DEC }), // outside [NOV, DEC)
      ];
      await store.append(rows);
      const seen: string[] = [];
      await scanRows(store, NOV, DEC, (r) => seen.push(r.id));
      assert.equal(seen.length, 4_200);
      assert.equal(new Set(seen).size, 4_200);
    } finally {
      await store.close();
    }
  });

  test('per feature: each feature’s own spread beside the tier’s; customer-months across months', async () => {
    const store = new SqliteStore(':memory:');
    try {
      // Two customers × two months. Every customer-month: 5 `chat` calls at 1,000 pico and 5 `agent`
      // calls, 1,000 … 9,000 pico in October, twice that in November.
      const OCT = Date.UTC(2026, 9, 1);
      const rows: LedgerRow[] = [];
      for (const month of [OCT, NOV])
        for (const customer of ['a', 'b'])
          for (let k = 1; k <= 5; k++) {
            rows.push(callRow({ customer, ts: month + k, feature: 'chat', costPico: 1_000 }));
            const agent = (2 * k - 1) * 1_000 * (month === NOV ? 2 : 1);
            rows.push(callRow({ customer, ts: month + 100 + k, feature: 'agent', costPico: agent }));
          }
      await store.append(rows);
      const r = await recommendFromLedger({
        reader: rowsReader(store),
        store,
        options: { targetMarginBp: 7000, overheadPico: 0n },
      });
      assert.equal(r.customerMonths, 4);
      assert.equal(r.customers, 2);
      const j = presentRecommendation(r);
      assert.deepEqual(j.period, { from: '2026-10-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
      // Month costs: October 5,000 + 25,000 = 30,000; November 5,000 + 50,000 = 55,000. Sorted by cost, then
      // customer: a-Oct, b-Oct, a-Nov, b-Nov. P50 = rank 2 (30,000): Starter's band is cost ≤ 37,500 →
      // the two October months, 20 calls.
      const starter = j.tiers[0]!;
      assert.equal(starter.covering.customer, 'b');
      assert.equal(starter.covering.month, '2026-10');
      // agent, October: 1,3,5,7,9 (×1,000) twice: P10 rank 1 = 1,000, P90 rank 9 = 9,000: 9×.
      // chat: all 1,000: 1×. Together (20 calls): twelve at 1,000, then two each of 3,000, 5,000, 7,000,
      // 9,000: P10 rank 2 = 1,000, P90 rank 18 = 7,000: 7× → credits.
      assert.deepEqual(
        starter.features.map((f) => [f.feature, f.calls, f.p90_over_p10, f.credits]),
        [
          ['agent', 10, '9', true],
          ['chat', 10, '1', false],
        ],
      );
      assert.equal(starter.per_call_cost!.p90_over_p10, '7');
      assert.equal(starter.budget.unit, 'credits');
      // P50 cost 30,000 pico × 100 credits/USD = 0.000003 credits; ÷ 0.8 → rounded up to 1 credit.
      assert.equal(starter.budget.amount, '1');
    } finally {
      await store.close();
    }
  });
});

describe('margin recommend (CLI) and GET /admin/v1/recommend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'margin-recommend-'));
  const db = join(dir, 'ledger.db');
  const config = join(dir, 'margin.yaml');

  before(async () => {
    writeFileSync(config, `db: ${db}\neconomics:\n  overheadPerCustomerUsd: 2\n`);
    const store = new SqliteStore(db);
    await store.append(populationA());
    await store.close();
  });

  test('--json: the tiers worked out by hand, from raw rows', async () => {
    const res = await runCli(['recommend', '--json', '--config', config, '--target-margin', '0.7']);
    assert.equal(res.code, 0, res.stderr);
    const j = JSON.parse(res.stdout);
    assert.equal(j.call_cost_source, 'ledger_rows');
    assert.equal(j.overhead_per_customer_usd, '2');
    assert.deepEqual(
      j.tiers.map((t: { price_usd: string }) => t.price_usd),
      ['29', '39', '49'],
    );
    assert.deepEqual(
      j.tiers.map((t: { budget: { amount: string } }) => t.budget.amount),
      ['63', '99', '99'],
    );
    assert.equal(j.tiers[0].covering.month, '2026-11');
  });

  test('--write: the file loads as plans (loader and margin plans apply)', async () => {
    const file = join(dir, 'plans.yaml');
    const res = await runCli(['recommend', '--config', config, '--write', file]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /wrote 3 plans/);
    const plans = readPlansFile(file);
    assert.deepEqual(Object.keys(plans), ['starter', 'pro', 'high-volume']);
    assert.equal(plans.starter!.priceUsd, '29');
    assert.deepEqual(plans.starter!.budget, { unit: 'runs', amount: '63' });
    assert.equal(plans.starter!.hardCap.action, 'block');
    assert.equal(plans.pro!.hardCap.action, 'throttle');
    assert.equal(plans['high-volume']!.overage?.pricePerUnitUsd, '0.333334');
    const apply = await runCli(['plans', 'apply', file, '--db', db]);
    assert.equal(apply.code, 0, apply.stderr);
    const list = await runCli(['plans', 'list', '--json', '--db', db]);
    assert.match(list.stdout, /high-volume/);
    assert.match(readFileSync(file, 'utf8'), /^# Tiers proposed by `margin recommend`/);
  });

  test('bad --target-margin and --from are named', async () => {
    const a = await runCli(['recommend', '--db', db, '--target-margin', '1.5']);
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /--target-margin: must be/);
    const b = await runCli(['recommend', '--db', db, '--from', 'yesterday-ish']);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /--from: not a date/);
  });

  test('raw rows pruned: the same tiers from the rollups, per-call costs from their averages', async () => {
    const prune = await runCli(['prune', '--before', '2026-11-03', '--db', db]);
    assert.equal(prune.code, 0, prune.stderr);
    const res = await runCli(['recommend', '--json', '--config', config]);
    assert.equal(res.code, 0, res.stderr);
    const j = JSON.parse(res.stdout);
    assert.equal(j.call_cost_source, 'rollups');
    // Monthly usage is kept in the rollups: the same prices and allowances as before the prune.
    assert.deepEqual(
      j.tiers.map((t: { price_usd: string; budget: { amount: string } }) => [t.price_usd, t.budget.amount]),
      [
        ['29', '63'],
        ['39', '99'],
        ['49', '99'],
      ],
    );
    // Every group's calls average $0.10: P10 = P90 = $0.10.
    assert.equal(j.tiers[0].per_call_cost.p10_usd, '0.1');
    assert.equal(j.tiers[0].per_call_cost.p90_over_p10, '1');
  });

  describe('admin endpoint', () => {
    let h: Harness;
    before(async () => {
      const file = join(dir, 'gateway.yaml');
      writeFileSync(file, 'economics:\n  overheadPerCustomerUsd: 2\n');
      h = await startHarness({ configFile: file });
      await h.gateway.store.append(populationA());
    });
    after(() => h.close());
    const get = (q: string) =>
      fetch(`${h.gateway.url}/admin/v1/recommend${q}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });

    test('answers the same tiers as the CLI, for the month asked', async () => {
      const res = await get('?target_margin=0.7&from=2026-11-01&to=2026-12-01');
      assert.equal(res.status, 200);
      const j = (await res.json()) as ReturnType<typeof presentRecommendation>;
      assert.deepEqual(
        j.tiers.map((t) => [t.price_usd, t.margin_percent, t.budget.unit, t.budget.amount]),
        [
          ['29', '75.86', 'runs', '63'],
          ['39', '71.79', 'runs', '99'],
          ['49', '75.71', 'runs', '99'],
        ],
      );
      // December has no calls: nothing to recommend.
      const dec = (await (await get(`?from=${DEC}&to=${DEC + 86_400_000}`)).json()) as { tiers: unknown[] };
      assert.equal(dec.tiers.length, 0);
    });

    test('POST without a scenario: the ledger, as GET', async () => {
      const res = await fetch(`${h.gateway.url}/admin/v1/recommend`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ target_margin: 0.7, from: '2026-11-01', to: '2026-12-01' }),
      });
      assert.equal(res.status, 200);
      const j = (await res.json()) as ReturnType<typeof presentRecommendation>;
      assert.equal(j.scenario, null);
      assert.deepEqual(
        j.tiers.map((t) => t.price_usd),
        ['29', '39', '49'],
      );
    });

    test('bad parameters: 400 naming the parameter', async () => {
      for (const [q, field] of [
        ['?target_margin=2', 'target_margin'],
        ['?from=soon', 'from'],
        ['?to=later', 'to'],
        ['?from=2026-12-01&to=2026-11-01', 'to'],
      ] as const) {
        const res = await get(q);
        assert.equal(res.status, 400, q);
        const body = (await res.json()) as { error: { message: string } };
        assert.match(body.error.message, new RegExp(`^${field}: `), q);
      }
    });
  });
});

describe('from a scenario: margin recommend --scenario and POST /admin/v1/recommend', () => {
  const file = 'examples/simulate/three-tier-scenario.yaml';
  const doc = parseYaml(readFileSync(file, 'utf8')) as {
    population: Record<string, { tasksPerMonth: number[] }>;
  };
  // One task = one claude-haiku-4-5 call, 2,000 tokens in and 300 out, at $1/M and $5/M (checked below).
  const TASK_PICO = 2000n * 1_000_000n + 300n * 5_000_000n; // $0.0035
  const OVERHEAD = 2n * USD; // config economics.overheadPerCustomerUsd; the scenario sets none
  const tasks = Object.values(doc.population)
    .flatMap((t) => t.tasksPerMonth)
    .sort((a, b) => a - b);
  const rank = (p: number) => Math.ceil((p * tasks.length) / 100);
  /** The smallest of 19, 29, 39, … with (price − loaded) ÷ price ≥ 0.7, i.e. 0.3 × price ≥ loaded. */
  const priceFor = (loaded: bigint) => {
    let p = 19n;
    while (3n * p * USD < 10n * loaded) p += 10n;
    return p;
  };
  const expect = (p: number) => {
    const n = tasks[rank(p) - 1]!;
    const cost = BigInt(n) * TASK_PICO;
    return { tasks: n, cost, price: priceFor(cost + OVERHEAD) };
  };
  const starter = expect(50);

  const dir = mkdtempSync(join(tmpdir(), 'margin-recommend-scenario-'));
  const db = join(dir, 'none.db');
  const config = join(dir, 'margin.yaml');
  writeFileSync(config, `db: ${db}\neconomics:\n  overheadPerCustomerUsd: 2\n`);

  test('the numbers the arithmetic uses', () => {
    const q = new PriceCatalog().quote('anthropic', 'claude-haiku-4-5', Date.UTC(2026, 10, 1))!.rates;
    assert.deepEqual([q.input.base, q.output.base], [1_000_000, 5_000_000]);
    assert.equal(tasks.length, 30);
    // Sorted: 100 … 900, 1000, 1000, 1200, 1400, 1600, 1800: the median (rank 15) runs 1,800 tasks,
    // $6.30 + $2.00 = $8.30 loaded → $29 (0.3 × 19 = 5.70 < 8.30 ≤ 8.70); its cap 1,800 ÷ 0.8 = 2,250 runs.
    assert.deepEqual(starter, { tasks: 1800, cost: 6_300_000_000_000n, price: 29n });
  });

  test('--scenario: a three-tier recommendation worked out from the scenario’s numbers; no ledger opened', async () => {
    const res = await runCli(['recommend', '--scenario', file, '--json', '--config', config]);
    assert.equal(res.code, 0, res.stderr);
    const j = JSON.parse(res.stdout) as ReturnType<typeof presentRecommendation>;
    assert.equal(j.scenario, file);
    assert.equal(j.period, null);
    assert.equal(j.active_customer_months, 30);
    assert.equal(j.call_cost_source, 'scenario');
    const s = j.tiers[0]!;
    assert.equal(s.id, 'starter');
    assert.deepEqual(
      [s.covering.rank, s.covering.of, s.covering.calls, s.covering.month],
      [15, 30, starter.tasks, 'synthetic'],
    );
    assert.equal(s.covering.tokens, starter.tasks * 2300);
    assert.equal(s.covering.cost_usd, picoToUsd(starter.cost));
    assert.equal(s.covering.loaded_usd, picoToUsd(starter.cost + OVERHEAD));
    assert.equal(s.price_usd, String(starter.price));
    // Every call costs the same: runs, and the cap puts the median at 80%.
    assert.equal(s.budget.unit, 'runs');
    assert.equal(s.budget.amount, String(Math.ceil((starter.tasks * 10) / 8)));
    assert.equal(s.plan.hardCap?.action, 'block');
    assert.deepEqual(
      j.tiers.map((t) => [t.id, t.price_usd, t.covering.calls]),
      [
        ['starter', String(expect(50).price), expect(50).tasks],
        ['pro', String(expect(90).price), expect(90).tasks],
        ['high-volume', String(expect(99).price), expect(99).tasks],
      ],
    );
    assert.throws(() => readFileSync(db), /ENOENT/);
  });

  test('--scenario: the text names the scenario; --write emits the plans; --from does not apply', async () => {
    const plans = join(dir, 'plans.yaml');
    const res = await runCli(['recommend', '--scenario', file, '--config', config, '--write', plans]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`^Tier recommendation, scenario ${file}`));
    assert.match(res.stdout, /\(rank 15 of 30\): pro-0005 in synthetic\n/); // pro’s 5th: 1,800 tasks
    assert.equal(readPlansFile(plans).starter!.priceUsd, String(starter.price));
    const bad = await runCli(['recommend', '--scenario', file, '--config', config, '--from', '2026-11-01']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--from: not used with --scenario/);
  });

  test('a scenario whose calls vary ≥ 5× in cost gets credits (per call, not per customer-month average)', async () => {
    const r = await recommendFromScenario({
      scenario: parseScenario({
        pricesAt: '2026-11-01',
        population: {
          a: {
            tasksPerMonth: [10, 20, 30, 40],
            // haiku 1,000 in + 100 out = $0.0015; sonnet 10,000 in + 1,000 out = $0.045: 30× apart.
            task: [
              { feature: 'chat', model: 'claude-haiku-4-5', input: 1000, output: 100 },
              { feature: 'agent', model: 'claude-sonnet-4-5', input: 10000, output: 1000 },
            ],
          },
        },
      }),
      source: 'inline',
      catalog: new PriceCatalog(),
      options: { targetMarginBp: 7000, overheadPico: 0n },
      now: 0,
    });
    const j = presentRecommendation(r);
    // Starter's band (cost ≤ P50 ÷ 0.8): customers of 10 and 20 tasks, 30 calls of each kind.
    const s = j.tiers[0]!;
    assert.deepEqual(s.per_call_cost, {
      calls: 60,
      p10_usd: '0.0015',
      p90_usd: '0.045',
      p90_over_p10: '30',
      credits: true,
    });
    assert.deepEqual(
      s.features.map((f) => [f.feature, f.calls, f.p90_over_p10]),
      [
        ['agent', 30, '1'],
        ['chat', 30, '1'],
      ],
    );
    assert.equal(s.budget.unit, 'credits');
  });

  describe('POST /admin/v1/recommend with a scenario', () => {
    let h: Harness;
    before(async () => {
      const cfg = join(dir, 'gateway.yaml');
      writeFileSync(cfg, 'economics:\n  overheadPerCustomerUsd: 2\n');
      h = await startHarness({ configFile: cfg });
    });
    after(() => h.close());
    const post = (body: unknown) =>
      fetch(`${h.gateway.url}/admin/v1/recommend`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    test('answers as margin recommend --scenario; the scenario’s own overhead wins over the config’s', async () => {
      const res = await post({ scenario: doc, target_margin: '0.7' });
      assert.equal(res.status, 200);
      const j = (await res.json()) as ReturnType<typeof presentRecommendation>;
      assert.equal(j.scenario, 'scenario');
      assert.deepEqual(
        j.tiers.map((t) => t.price_usd),
        [50, 90, 99].map((p) => String(expect(p).price)),
      );
      assert.equal(j.tiers[0]!.budget.amount, String(Math.ceil((starter.tasks * 10) / 8)));
      // With $10 of overhead: $6.30 + $10 = $16.30 ÷ 0.3 = 54.33 → $59.
      const own = (await (
        await post({ scenario: { ...doc, overheadPerCustomerUsd: 10 } })
      ).json()) as ReturnType<typeof presentRecommendation>;
      assert.equal(own.overhead_per_customer_usd, '10');
      assert.equal(own.tiers[0]!.price_usd, String(priceFor(starter.cost + 10n * USD)));
      assert.equal(own.tiers[0]!.price_usd, '59');
    });

    test('bad input: 400 naming the field', async () => {
      const cases: [unknown, RegExp][] = [
        [{ scenario: { ...doc, seed: -1 } }, /^scenario: invalid scenario\n {2}seed: /],
        [{ scenario: { seed: 1 } }, /^scenario\.population: required/],
        [{ scenario: doc, from: '2026-11-01' }, /^from: not used with a scenario/],
        [{ scenario: doc, target_margin: 1.5 }, /^target_margin: must be/],
        [{ scenario: doc, target_margin: [0.7] }, /^target_margin: must be a string or a number/],
      ];
      for (const [body, message] of cases) {
        const res = await post(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.match(((await res.json()) as { error: { message: string } }).error.message, message);
      }
    });
  });
});
