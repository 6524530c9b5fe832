// `margin report`: every figure recomputed here from the raw rows with plain arithmetic (own nearest-rank
// percentile, own proration), against the report read from rollups through the real CLI.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { runCli } from './helpers/cli.js';

const DAY = 86_400_000;
const NOV = Date.parse('2026-11-01T00:00:00Z');
const DEC = Date.parse('2026-12-01T00:00:00Z');
const PICO = 1_000_000_000_000n;
const OVERHEAD = 3n * PICO;

// A small deterministic PRNG (mulberry32) so the population is the same every run.
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = [
  { model: 'small-m', provider: 'openai' },
  { model: 'mid-m', provider: 'openai' },
  { model: 'large-m', provider: 'anthropic' },
];
const FEATURES = ['chat', 'search', 'agent'];

interface Cust {
  id: string;
  plan: string | null; // plan for the whole month (or before the switch)
  switchTo?: { plan: string; day: number }; // from this day of November (1-based), 00:00 UTC
}

const PRICES: Record<string, bigint> = { starter: 19n * PICO, pro: 99n * PICO };

function population(): Cust[] {
  const out: Cust[] = [];
  for (let i = 0; i < 40; i++) out.push({ id: `s${i}`, plan: 'starter' });
  for (let i = 0; i < 15; i++) out.push({ id: `p${i}`, plan: 'pro' });
  out.push({ id: 'mover', plan: 'starter', switchTo: { plan: 'pro', day: 11 } });
  for (let i = 0; i < 5; i++) out.push({ id: `n${i}`, plan: null }); // never registered
  out.push({ id: 'idle', plan: 'pro' }); // subscribed, only refused calls
  return out;
}

function rowsFor(custs: Cust[]): LedgerRow[] {
  const r = rng(7);
  const rows: LedgerRow[] = [];
  let n = 0;
  for (const c of custs) {
    // Heavy tail: a few customers make most calls.
    const calls = c.id === 'idle' ? 3 : Math.floor(2 + 60 * r() ** 4 * (c.plan === 'pro' ? 3 : 1));
    for (let k = 0; k < calls; k++) {
      const ts = NOV + Math.floor(r() * (DEC - NOV));
      const m = MODELS[Math.floor(r() * MODELS.length)] ?? MODELS[0];
      const refused = c.id === 'idle' || r() < 0.05;
      const hit = !refused && r() < 0.1;
      const input = refused ? 0 : Math.floor(r() * 2000);
      const read = refused ? 0 : Math.floor(r() * 500);
      rows.push({
        id: `req_${String(n++).padStart(6, '0')}`,
        ts,
        customer: c.id,
        keyId: 'k',
        feature: FEATURES[Math.floor(r() * FEATURES.length)] ?? 'chat',
        provider: m?.provider ?? 'openai',
        protocol: 'openai',
        modelRequested: m?.model ?? 'small-m',
        modelServed: m?.model ?? 'small-m',
        modelRouted: null,
        inputTokens: input,
        outputTokens: refused ? 0 : Math.floor(r() * 800),
        reasoningTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        cacheReadTokens: read,
        costPico: refused || hit ? 0 : Math.floor(r() * 50_000_000_000), // up to $0.05
        unpriced: false,
        estimated: false,
        cacheHit: hit,
        status: refused ? 429 : 200,
        errorCode: refused ? 'budget_exhausted' : null,
        latencyMs: 10,
        ttftMs: null,
        streamed: false,
        tags: r() < 0.3 ? ['beta'] : [],
      });
    }
  }
  return rows;
}

// ---- independent arithmetic -------------------------------------------------------------------------
const nearest = (sorted: bigint[], p: number): bigint => sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1] as bigint;
function usdText(p: bigint): string {
  const whole = p / PICO;
  const frac = (p % PICO).toString().padStart(12, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
}
/** a ÷ b as percent, 2 decimals, half up (a, b ≥ 0) — or 1 − a ÷ b for margins via (b − a). */
function pct(a: bigint, b: bigint): string {
  const neg = a < 0n;
  const x = neg ? -a : a;
  const h = (x * 20000n + b) / (2n * b);
  return `${neg ? '-' : ''}${h / 100n}.${(h % 100n).toString().padStart(2, '0')}`;
}
const prorate = (price: bigint, days: number, of: number): bigint => (price * BigInt(days) * 2n + BigInt(of)) / (2n * BigInt(of));

describe('margin report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'margin-report-'));
  const db = join(dir, 'ledger.db');
  const cfg = join(dir, 'margin.yaml');
  const custs = population();
  const rows = rowsFor(custs);
  let report: any;

  before(async () => {
    writeFileSync(
      cfg,
      [
        `db: ${db}`,
        'economics:',
        '  overheadPerCustomerUsd: 3',
        '  modelClasses: { small: [small-m], mid: [mid-m], large: [large-m] }',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'plans.yaml'),
      'plans:\n  starter: { priceUsd: 19 }\n  pro: { priceUsd: 99 }\n',
    );
    const store = new SqliteStore(db);
    await store.write(rows.map((request) => ({ request })));
    await store.close();
    assert.equal((await runCli(['plans', 'apply', join(dir, 'plans.yaml'), '--config', cfg])).code, 0);
    for (const c of custs) {
      if (c.plan === null) continue;
      const res = await runCli(['customers', 'set-plan', c.id, c.plan, '--since', '2026-10-01', '--config', cfg]);
      assert.equal(res.code, 0, res.stderr);
      if (c.switchTo) {
        const since = new Date(NOV + (c.switchTo.day - 1) * DAY).toISOString();
        const sw = await runCli(['customers', 'set-plan', c.id, c.switchTo.plan, '--since', since, '--config', cfg]);
        assert.equal(sw.code, 0, sw.stderr);
      }
    }
    const out = await runCli(['report', '--from', '2026-11-01', '--to', '2026-12-01', '--json', '--config', cfg]);
    assert.equal(out.code, 0, out.stderr);
    report = JSON.parse(out.stdout);
  });

  /** Per (customer, plan) cost in November, the day of each row deciding the plan. */
  function segmentsExpected() {
    const segs = new Map<string, { customer: string; plan: string | null; cost: bigint; active: boolean; revenue: bigint }>();
    const planOn = (c: Cust, ts: number) =>
      c.switchTo && ts >= NOV + (c.switchTo.day - 1) * DAY ? c.switchTo.plan : c.plan;
    for (const c of custs) {
      if (c.switchTo) {
        const d1 = c.switchTo.day - 1;
        segs.set(`${c.id}|${c.plan}`, { customer: c.id, plan: c.plan, cost: 0n, active: false, revenue: prorate(PRICES[c.plan as string] as bigint, d1, 30) });
        segs.set(`${c.id}|${c.switchTo.plan}`, { customer: c.id, plan: c.switchTo.plan, cost: 0n, active: false, revenue: prorate(PRICES[c.switchTo.plan] as bigint, 30 - d1, 30) });
      } else segs.set(`${c.id}|${c.plan}`, { customer: c.id, plan: c.plan, cost: 0n, active: false, revenue: c.plan ? (PRICES[c.plan] as bigint) : 0n });
    }
    for (const r of rows) {
      const c = custs.find((x) => x.id === r.customer) as Cust;
      const s = segs.get(`${c.id}|${planOn(c, r.ts)}`);
      if (!s) throw new Error('no segment');
      s.cost += BigInt(r.costPico ?? 0);
      if (r.inputTokens + r.outputTokens + r.cacheReadTokens > 0) s.active = true;
    }
    return [...segs.values()];
  }

  test('totals: cost, revenue, active customers, cost % of revenue, gross margin on loaded cost', () => {
    const b = report.buckets.find((x: any) => x.label === '2026-11');
    assert.ok(b, 'a bucket for November');
    const segs = segmentsExpected();
    const cost = rows.reduce((s, r) => s + BigInt(r.costPico ?? 0), 0n);
    const revenue = segs.reduce((s, x) => s + x.revenue, 0n);
    const customers = new Set(segs.map((s) => s.customer));
    const active = new Set(segs.filter((s) => s.active).map((s) => s.customer));
    // Overhead: each customer's months are prorated like revenue, so a mover pays 10/30 + 20/30 of it.
    let overhead = 0n;
    for (const c of custs) overhead += c.switchTo ? prorate(OVERHEAD, c.switchTo.day - 1, 30) + prorate(OVERHEAD, 31 - c.switchTo.day, 30) : OVERHEAD;
    assert.equal(b.totals.inference_cost_usd, usdText(cost));
    assert.equal(b.totals.revenue_usd, usdText(revenue));
    assert.equal(b.totals.customers, customers.size);
    assert.equal(b.totals.active_customers, active.size);
    assert.equal(b.totals.cost_pct_of_revenue, pct(cost, revenue));
    assert.equal(b.totals.gross_margin_pct, pct(revenue - cost - overhead, revenue));
    assert.equal(b.totals.cost_per_active_customer_usd, usdText(cost / BigInt(active.size)));
  });

  test('tiers: nearest-rank percentiles over active customers, margin floor on loaded P95, under water', () => {
    const b = report.buckets.find((x: any) => x.label === '2026-11');
    const segs = segmentsExpected();
    for (const plan of ['starter', 'pro', null]) {
      const tier = b.tiers.find((t: any) => t.plan === plan);
      assert.ok(tier, `tier ${plan}`);
      const mine = segs.filter((s) => s.plan === plan);
      const act = mine.filter((s) => s.active).map((s) => s.cost).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      assert.equal(tier.customers, new Set(mine.map((s) => s.customer)).size);
      assert.equal(tier.active_customers, act.length);
      for (const p of [50, 90, 95, 99]) assert.equal(tier[`p${p}_usd`], usdText(nearest(act, p)), `${plan} P${p}`);
      if (plan) {
        const price = PRICES[plan] as bigint;
        // Loaded P95: the movers' segments carry prorated overhead, so rank loaded costs, not cost + 3.
        const loadedSorted = mine
          .filter((s) => s.active)
          .map((s) => s.cost + (s.customer === 'mover' ? prorate(OVERHEAD, s.plan === 'starter' ? 10 : 20, 30) : OVERHEAD))
          .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
        assert.equal(tier.margin_floor_pct, pct(price - nearest(loadedSorted, 95), price));
      } else assert.equal(tier.margin_floor_pct, null);
      const under = mine.filter((s) => {
        const oh = s.customer === 'mover' ? prorate(OVERHEAD, s.plan === 'starter' ? 10 : 20, 30) : OVERHEAD;
        return s.cost + oh > s.revenue;
      }).length;
      assert.equal(tier.under_water, under, `${plan} under water`);
    }
  });

  test('concentration: the ⌈x% × n⌉ dearest active customers', () => {
    const b = report.buckets.find((x: any) => x.label === '2026-11');
    const per = new Map<string, { cost: bigint; active: boolean }>();
    for (const r of rows) {
      const e = per.get(r.customer) ?? { cost: 0n, active: false };
      e.cost += BigInt(r.costPico ?? 0);
      e.active ||= r.inputTokens + r.outputTokens + r.cacheReadTokens > 0;
      per.set(r.customer, e);
    }
    const costs = [...per.values()].filter((e) => e.active).map((e) => e.cost).sort((x, y) => (x > y ? -1 : x < y ? 1 : 0));
    const total = costs.reduce((s, x) => s + x, 0n);
    for (const x of [5, 10, 20]) {
      const n = Math.ceil((x * costs.length) / 100);
      const top = costs.slice(0, n).reduce((s, v) => s + v, 0n);
      const row = b.concentration.top.find((t: any) => t.percent === x);
      assert.equal(row.customers, n);
      assert.equal(row.cost_share_pct, pct(top, total));
    }
    assert.equal(b.concentration.customers[0].cost_usd, usdText(costs[0] as bigint));
  });

  test('cost by feature, model, provider and tag; model classes; cache hit rate per feature', () => {
    const sumBy = (key: (r: LedgerRow) => string[]) => {
      const m = new Map<string, bigint>();
      for (const r of rows) for (const k of key(r)) m.set(k, (m.get(k) ?? 0n) + BigInt(r.costPico ?? 0));
      return m;
    };
    for (const [field, key] of [
      ['by_feature', (r: LedgerRow) => [r.feature]],
      ['by_model', (r: LedgerRow) => [r.modelServed ?? r.modelRequested]],
      ['by_provider', (r: LedgerRow) => [r.provider]],
      ['by_tag', (r: LedgerRow) => [...(r.tags ?? [])]],
    ] as const) {
      const want = sumBy(key);
      const got = new Map(report[field].map((x: any) => [x.key, x.cost_usd]));
      assert.equal(got.size, want.size, field);
      for (const [k, v] of want) assert.equal(got.get(k), usdText(v), `${field} ${k}`);
    }
    const small = rows.filter((r) => r.modelServed === 'small-m').length;
    const cls = report.model_classes.find((c: any) => c.class === 'small');
    assert.equal(cls.requests, small);
    assert.equal(cls.request_share_pct, pct(BigInt(small), BigInt(rows.length)));
    for (const f of FEATURES) {
      const mine = rows.filter((r) => r.feature === f);
      const all = mine.reduce((s, r) => s + r.inputTokens + r.cacheReadTokens, 0);
      const cached = mine.reduce((s, r) => s + r.cacheReadTokens + (r.cacheHit ? r.inputTokens + r.cacheReadTokens : 0), 0);
      const row = report.cache.find((c: any) => c.feature === f);
      assert.equal(row.input_tokens, all);
      assert.equal(row.hit_rate_pct, pct(BigInt(cached), BigInt(all)));
    }
  });

  test('weekly view: the last complete ISO week against the one before, with targets', () => {
    // Report to 2026-12-01 (a Tuesday): this week is Mon 2026-11-23 .. 11-30, last week 11-16 .. 11-23.
    assert.equal(report.weekly.this_week, '2026-W48');
    assert.equal(report.weekly.last_week, '2026-W47');
    const w0 = Date.parse('2026-11-23T00:00:00Z');
    const inWeek = rows.filter((r) => r.ts >= w0 && r.ts < w0 + 7 * DAY);
    const cost = inWeek.reduce((s, r) => s + BigInt(r.costPico ?? 0), 0n);
    const m = (name: string) => report.weekly.metrics.find((x: any) => x.name.startsWith(name));
    assert.equal(m('inference cost').this_week, usdText(cost));
    // Revenue per day = monthly ÷ 30 (November), so the week's revenue is 7/30 of each plan's price.
    let revenue = 0n;
    for (const c of custs) {
      const plan = c.switchTo ? c.switchTo.plan : c.plan;
      if (plan) revenue += prorate(PRICES[plan] as bigint, 7, 30);
    }
    assert.equal(m('cost as % of revenue').this_week, pct(cost, revenue));
    assert.equal(m('cost as % of revenue').met, Number(pct(cost, revenue)) < 15);
    const small = inWeek.filter((r) => r.modelServed !== 'large-m').length;
    assert.equal(m('% of requests on mid/small').this_week, pct(BigInt(small), BigInt(inWeek.length)));
  });

  test('--csv writes each table; the admin route has the same data', async () => {
    const out = join(dir, 'csv');
    const res = await runCli(['report', '--from', '2026-11-01', '--to', '2026-12-01', '--csv', out, '--config', cfg]);
    assert.equal(res.code, 0, res.stderr);
    const tiers = readFileSync(join(out, '2026-11-tiers.csv'), 'utf8');
    assert.match(tiers, /^plan,price,customers/);
    assert.match(tiers, /\nstarter,\$19,/);
  });
});
