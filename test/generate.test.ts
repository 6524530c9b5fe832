import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { calcPrice } from '@pydantic/genai-prices';
import Database from 'better-sqlite3';
import { AliasTable } from '../src/economics/generate/alias-table.js';
import { generateUsage } from '../src/economics/generate/generate.js';
import { createRng } from '../src/economics/generate/prng.js';
import { apportion } from '../src/economics/generate/schedule.js';
import { openLedger } from '../src/ledger/sqlite/open-ledger.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
import { runCli } from './helpers/cli.js';

// `margin generate`: deterministic for a seed, heavy-tailed, token sizes from the shipped trace
// summaries, every row priced as the catalog's per-token rates say (recomputed here independently).

const DAY = 86_400_000;
const END = Date.parse('2026-03-01T00:00:00Z');
const OPTS = { customers: 400, days: 21, rows: 30_000, endMs: END };
const dir = mkdtempSync(join(tmpdir(), 'margin-generate-'));

interface Row {
  id: string;
  ts: number;
  customer: string;
  feature: string;
  provider: string;
  model_served: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  cache_read_tokens: number;
  cost_pico: number | null;
  cache_hit: number;
  status: number;
}

async function generate(file: string, seed: string) {
  const db = openLedger(join(dir, file));
  try {
    return await generateUsage(db, { ...OPTS, seed, catalog: new PriceCatalog() });
  } finally {
    db.close();
  }
}

function read<T>(file: string, sql: string): T[] {
  const db = new Database(join(dir, file), { readonly: true });
  try {
    return db.prepare(sql).safeIntegers(false).all() as T[];
  } finally {
    db.close();
  }
}

const summary = (name: string) =>
  JSON.parse(readFileSync(new URL(`../data/traces/${name}.json`, import.meta.url), 'utf8')) as {
    inputTokens: { p: number[]; v: number[] };
    outputTokens: { p: number[]; v: number[] };
    licence: string;
    source: string;
  };
const p50 = (q: { p: number[]; v: number[] }) => q.v[q.p.indexOf(50)]!;

/** Nearest-rank median, as a plain sort. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil(s.length / 2) - 1]!;
}

let rows: Row[] = [];

before(async () => {
  await generate('a.db', 'a');
  rows = read<Row>('a.db', 'SELECT * FROM requests');
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('margin generate', () => {
  test('writes exactly the rows asked for, inside the window', () => {
    assert.equal(rows.length, OPTS.rows);
    const start = END - OPTS.days * DAY;
    assert.ok(rows.every((r) => r.ts >= start && r.ts < END));
    // Every day of the window has calls.
    const days = new Set(rows.map((r) => Math.floor(r.ts / DAY)));
    assert.equal(days.size, OPTS.days);
  });

  test('same seed, same ledger; another seed, another ledger', async () => {
    await generate('a2.db', 'a');
    await generate('b.db', 'b');
    const totals = (f: string) =>
      read<{ n: number; cost: string; input: number; digest: string }>(
        f,
        `SELECT COUNT(*) AS n, CAST(SUM(cost_pico) AS TEXT) AS cost, SUM(input_tokens) AS input,
           group_concat(id || customer || ts || model_served || cost_pico, ',') AS digest
         FROM (SELECT * FROM requests ORDER BY id)`,
      )[0]!;
    const a = totals('a.db');
    const a2 = totals('a2.db');
    const b = totals('b.db');
    assert.deepEqual(a2, a);
    assert.notEqual(b.cost, a.cost);
    assert.notEqual(b.input, a.input);
    assert.equal(b.n, a.n);
  });

  test('re-running the same generation adds nothing (ids are the run’s)', async () => {
    await generate('a.db', 'a');
    assert.equal(read<{ n: number }>('a.db', 'SELECT COUNT(*) AS n FROM requests')[0]!.n, OPTS.rows);
  });

  test('heavy tail: the top 10% of customers send at least 60% of the requests', () => {
    const customers = read<{ id: string }>('a.db', 'SELECT id FROM customers').map((c) => c.id);
    const perCustomer = new Map<string, number>(customers.map((c) => [c, 0]));
    for (const r of rows) perCustomer.set(r.customer, (perCustomer.get(r.customer) ?? 0) + 1);
    const counts = [...perCustomer.values()].sort((x, y) => y - x);
    const top = Math.ceil(counts.length / 10);
    const share = counts.slice(0, top).reduce((s, n) => s + n, 0) / rows.length;
    assert.ok(share >= 0.6, `top 10% share ${share}`);
    // …and most customers are light: the median customer sends less than the mean.
    assert.ok(counts[Math.floor(counts.length / 2)]! < rows.length / counts.length);
  });

  test('token sizes follow the trace summaries (median within 12%)', () => {
    const cases: [string, string, number][] = [
      ['chat', 'azure-conv', 1],
      ['code', 'azure-code', 1],
      ['rag', 'ragpulse', 1],
      ['agent', 'mooncake-conversation', 1],
      ['long-doc', 'mooncake-conversation', 1.5],
    ];
    for (const [feature, trace, scale] of cases) {
      const ok = rows.filter((r) => r.feature === feature && r.status === 200);
      assert.ok(ok.length > 500, `${feature}: ${ok.length} rows`);
      const input = median(
        ok.map(
          (r) => r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens,
        ),
      );
      const want = p50(summary(trace).inputTokens) * scale;
      assert.ok(Math.abs(input - want) / want < 0.12, `${feature} input median ${input}, trace ${want}`);
      if (feature !== 'long-doc') {
        const out = median(ok.map((r) => r.output_tokens));
        const wantOut = p50(summary(trace).outputTokens);
        assert.ok(
          Math.abs(out - wantOut) / wantOut < 0.12,
          `${feature} output median ${out}, trace ${wantOut}`,
        );
      }
    }
  });

  test('prompt-cache reads where the traces share prefixes, none where they cannot', () => {
    const ok = rows.filter((r) => r.status === 200 && r.cache_hit === 0);
    const share = (f: string) => {
      const fr = ok.filter((r) => r.feature === f);
      const read_ = fr.reduce((s, r) => s + r.cache_read_tokens, 0);
      const all = fr.reduce(
        (s, r) =>
          s + r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens,
        0,
      );
      return read_ / all;
    };
    // RAGPulse's shared prefixes are about 31% of its input tokens; Mooncake's about 37%.
    assert.ok(share('rag') > 0.2 && share('rag') < 0.4, `rag ${share('rag')}`);
    assert.ok(share('agent') > 0.2 && share('agent') < 0.5, `agent ${share('agent')}`);
    assert.equal(share('long-doc'), 0);
    // Only Anthropic bills cache writes.
    assert.ok(
      ok.every((r) => r.provider === 'anthropic' || r.cache_write_5m_tokens + r.cache_write_1h_tokens === 0),
    );
    // Under 1,024 input tokens nothing is cached.
    assert.ok(
      ok.every(
        (r) =>
          r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens >= 1024 ||
          r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens === 0,
      ),
    );
  });

  test('every row costs what the catalog’s per-token rates say', () => {
    let checked = 0;
    for (const r of rows) {
      if (r.cache_hit === 1) {
        assert.equal(r.cost_pico, 0, `${r.id}: a response-cache hit costs nothing`);
        continue;
      }
      assert.notEqual(r.model_served === null ? 0 : r.cost_pico, null, `${r.id} unpriced`);
      const expected = r.model_served === null ? 0n : expectedCost(r);
      assert.equal(BigInt(r.cost_pico ?? -1), expected, `${r.id} ${r.provider}/${r.model_served}`);
      checked++;
    }
    assert.ok(checked > OPTS.rows * 0.9);
  });

  test('a few errors and response-cache hits, across three providers', () => {
    const errors = rows.filter((r) => r.status >= 400).length / rows.length;
    const hits = rows.filter((r) => r.cache_hit === 1).length / rows.length;
    assert.ok(errors > 0.003 && errors < 0.05, `errors ${errors}`);
    assert.ok(hits > 0.005 && hits < 0.1, `response-cache hits ${hits}`);
    // Refusals carry no tokens and no cost.
    for (const r of rows.filter((x) => x.status === 429 || x.status === 402))
      assert.equal(r.input_tokens + r.output_tokens + (r.cost_pico ?? 0), 0);
    // Several providers and all three model classes (output $/MTok: small ≤ 5, mid ≤ 20, large above).
    const providers = new Set(rows.map((r) => r.provider));
    assert.deepEqual([...providers].sort(), ['anthropic', 'google', 'openai']);
  });

  test('plans and customers exist in the control plane', () => {
    const plans = read<{ name: string; spec: string }>('a.db', 'SELECT name, spec FROM plans ORDER BY name');
    assert.deepEqual(
      plans.map((p) => [p.name, (JSON.parse(p.spec) as { priceUsd: string }).priceUsd]),
      [
        ['pro', '49'],
        ['scale', '199'],
        ['starter', '19'],
      ],
    );
    const customers = read<{ id: string; plan: string | null }>('a.db', 'SELECT id, plan FROM customers');
    assert.equal(customers.length, OPTS.customers);
    const ids = new Set(customers.map((c) => c.id));
    assert.ok(rows.every((r) => ids.has(r.customer)));
    const onPlan = customers.filter((c) => c.plan !== null).length;
    assert.ok(onPlan > OPTS.customers * 0.85, `${onPlan} on a plan`);
    for (const tier of ['starter', 'pro', 'scale'])
      assert.ok(
        customers.some((c) => c.plan === tier),
        tier,
      );
  });

  test('trace summaries carry their source and licence', () => {
    assert.match(summary('azure-conv').licence, /CC-BY-4\.0.*Splitwise/);
    assert.match(summary('azure-code').licence, /CC-BY-4\.0.*Splitwise/);
    assert.match(summary('mooncake-conversation').licence, /Apache-2\.0/);
    assert.match(summary('ragpulse').licence, /MIT/);
  });

  test('CLI: prints rows, customers and the exact total cost; bad flags name the flag', async () => {
    const file = join(dir, 'cli.db');
    const r = await runCli([
      'generate',
      '--customers',
      '30',
      '--days',
      '3',
      '--rows',
      '500',
      '--end',
      '2026-03-01',
      '--db',
      file,
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { rows: number; customers: number; cost_usd: string };
    assert.equal(out.rows, 500);
    assert.equal(out.customers, 30);
    const sum = read<{ cost: string }>(
      'cli.db',
      'SELECT CAST(SUM(cost_pico) AS TEXT) AS cost FROM requests',
    )[0]!;
    // The printed total is the ledger's integer sum as exact decimal USD.
    const pico = BigInt(sum.cost);
    assert.equal(
      out.cost_usd,
      `${pico / 10n ** 12n}.${(pico % 10n ** 12n).toString().padStart(12, '0')}`.replace(/\.?0+$/, ''),
    );
    const bad = await runCli(['generate', '--customers', '0', '--days', '3', '--db', file]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--customers: must be a whole number/);
    const badEnd = await runCli([
      'generate',
      '--customers',
      '3',
      '--days',
      '3',
      '--end',
      'soon',
      '--db',
      file,
    ]);
    assert.match(badEnd.stderr, /--end: not a date/);
  });
});

describe('generator parts', () => {
  test('apportion: integer shares that sum exactly, largest remainders first', () => {
    // 10 × 1/3 = 3.33 each: floors 3, 3, 3 and the one left over goes to the first of the tied remainders.
    assert.deepEqual(apportion(10, [1, 1, 1]), [4, 3, 3]);
    // 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4: floors 3, 2, 1; remainders .5 > .4 > .1 take the one left.
    assert.deepEqual(apportion(7, [5, 3, 2]), [4, 2, 1]);
    assert.deepEqual(apportion(5, [0, 0]), [0, 0]);
  });

  test('alias table draws each index in proportion to its weight', () => {
    const table = new AliasTable([1, 2, 0, 7]);
    const rng = createRng('alias');
    const counts = [0, 0, 0, 0];
    const n = 200_000;
    for (let i = 0; i < n; i++) counts[table.draw(rng)]!++;
    assert.equal(counts[2], 0);
    for (const [i, p] of [
      [0, 0.1],
      [1, 0.2],
      [3, 0.7],
    ] as const)
      assert.ok(Math.abs(counts[i]! / n - p) < 0.005, `index ${i}: ${counts[i]! / n}`);
  });
});

/** Independent of src/pricing: the catalog's $/MTok for the row's model at its time, tiers by total input. */
function expectedCost(r: Row): bigint {
  const found = calcPrice({ input_tokens: 1, output_tokens: 1 }, r.model_served!, {
    providerId: r.provider,
    timestamp: new Date(r.ts),
  });
  assert.ok(found, `no catalog price for ${r.provider}/${r.model_served}`);
  const price = found.model_price as Record<
    string,
    number | { base: number; tiers: { start: number; price: number }[] } | undefined
  >;
  const totalInput = r.input_tokens + r.cache_read_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens;
  const perToken = (key: string): bigint | undefined => {
    const v = price[key];
    if (v === undefined) return undefined;
    let usd = typeof v === 'number' ? v : v.base;
    if (typeof v !== 'number') for (const t of v.tiers) if (totalInput > t.start) usd = t.price;
    return BigInt(Math.round(usd * 1e6)); // $/MTok → pico-USD per token
  };
  const input = perToken('input_mtok')!;
  const write5m = perToken('cache_write_mtok') ?? input;
  return (
    BigInt(r.input_tokens) * input +
    BigInt(r.output_tokens) * perToken('output_mtok')! +
    BigInt(r.cache_read_tokens) * (perToken('cache_read_mtok') ?? input) +
    BigInt(r.cache_write_5m_tokens) * write5m +
    BigInt(r.cache_write_1h_tokens) * (perToken('cache_write_1h_mtok') ?? write5m)
  );
}
