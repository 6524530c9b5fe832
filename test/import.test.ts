// `margin import`: native JSONL and CSV logs and LiteLLM spend-log exports into the ledger. Token classes
// converted to the ledger's disjoint counts, catalog prices at each row's time (expected costs worked out
// here from the catalog's $/MTok, by hand and with test/helpers/expected-cost.ts, never src/pricing),
// stated costs kept and flagged, bad rows named FILE:LINE: field, --max-errors, idempotent re-import,
// dry run, timestamps.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { decimalUsdToPico } from '../src/economics/import/decimal-usd.js';
import { parseTimestamp } from '../src/economics/import/timestamp.js';
import { runCli } from './helpers/cli.js';
import { expectedPico } from './helpers/expected-cost.js';

const FIX = 'test/fixtures/import';
const tmp = () => mkdtempSync(join(tmpdir(), 'margin-import-'));

interface Row {
  id: string;
  ts: number;
  customer: string;
  key_id: string;
  feature: string;
  provider: string;
  protocol: string;
  model_requested: string;
  model_served: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  cache_read_tokens: number;
  cost_pico: number | null;
  unpriced: number;
  cache_hit: number;
  status: number;
  latency_ms: number;
  ttft_ms: number | null;
}

function rows(db: string): Map<string, Row> {
  const d = new Database(db, { readonly: true });
  try {
    return new Map((d.prepare('SELECT * FROM requests').all() as Row[]).map((r) => [r.id, r]));
  } finally {
    d.close();
  }
}
const get = (m: Map<string, Row>, id: string): Row => {
  const r = m.get(id);
  assert.ok(r, `row ${id} imported`);
  return r;
};

// Catalog rates in pico-USD per token, read off the catalog's $/MTok by hand (× 1e6):
// gpt-4o-mini: input $0.15, cached input $0.075, output $0.60.
// claude-3-5-sonnet: input $3, 5-minute cache write $3.75, 1-hour cache write $6, cache read $0.30, output $15.
const MINI = { input: 150_000, read: 75_000, output: 600_000 };
const SONNET = {
  input: 3_000_000,
  write5m: 3_750_000,
  write1h: 6_000_000,
  read: 300_000,
  output: 15_000_000,
};
const MAR_1_10H = Date.UTC(2025, 2, 1, 10);

describe('native JSONL', () => {
  const db = join(tmp(), 'ledger.db');

  test('imports every row: customers, token classes, catalog prices, stated costs, unpriced, cache hits', async () => {
    const r = await runCli(['import', `${FIX}/native.jsonl`, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^6 rows read: imported 6, already present 0, flagged 1, bad 0 \(1 unpriced/);
    const m = rows(db);
    assert.equal(m.size, 6);

    // n1: workspace wins over user; 1000 input of which 200 cached → 800 fresh.
    const n1 = get(m, 'n1');
    assert.equal(n1.customer, 'ws_acme');
    assert.deepEqual([n1.input_tokens, n1.cache_read_tokens, n1.output_tokens], [800, 200, 500]);
    const n1Cost = 800 * MINI.input + 200 * MINI.read + 500 * MINI.output;
    assert.equal(n1Cost, 435_000_000);
    assert.equal(n1.cost_pico, n1Cost);
    assert.equal(
      BigInt(n1.cost_pico ?? -1),
      expectedPico('openai', 'gpt-4o-mini', { input: 800, output: 500, cacheRead: 200 }),
    );
    assert.deepEqual(
      [n1.provider, n1.protocol, n1.key_id, n1.feature],
      ['openai', 'openai', 'import', 'chat'],
    );
    assert.equal(n1.status, 200);

    // n2: no workspace → the user; 10,000 input = 2,000 read + 3,000 written (1,000 of them 1-hour) + 5,000 fresh.
    const n2 = get(m, 'n2');
    assert.equal(n2.customer, 'u2');
    assert.deepEqual(
      [n2.input_tokens, n2.cache_read_tokens, n2.cache_write_5m_tokens, n2.cache_write_1h_tokens],
      [5000, 2000, 2000, 1000],
    );
    const n2Cost =
      5000 * SONNET.input +
      2000 * SONNET.read +
      2000 * SONNET.write5m +
      1000 * SONNET.write1h +
      400 * SONNET.output;
    assert.equal(n2Cost, 35_100_000_000);
    assert.equal(n2.cost_pico, n2Cost);
    assert.equal(
      BigInt(n2.cost_pico ?? -1),
      expectedPico('anthropic', 'claude-3-5-sonnet-20241022', {
        input: 5000,
        output: 400,
        cacheRead: 2000,
        cacheWrite5m: 2000,
        cacheWrite1h: 1000,
      }),
    );
    assert.equal(n2.provider, 'anthropic');

    // n3 states $0.000075 = 100 × 0.15/M + 100 × 0.60/M: kept, not flagged. n4 states $0.002 for a call the
    // catalog prices at 1000 × 0.15/M + 1000 × 0.60/M = $0.00075: kept, flagged.
    assert.equal(get(m, 'n3').cost_pico, 100 * MINI.input + 100 * MINI.output);
    assert.equal(get(m, 'n4').cost_pico, 2_000_000_000);
    assert.match(r.stderr, /flagged: .*native\.jsonl:5 n4 .*stated \$0\.002, catalog \$0\.00075/);
    assert.doesNotMatch(r.stderr, / n3 /);

    // n5: a model no catalog knows and no stated cost: unpriced, never $0; its provider as the record says.
    const n5 = get(m, 'n5');
    assert.equal(n5.cost_pico, null);
    assert.equal(n5.unpriced, 1);
    assert.deepEqual([n5.provider, n5.protocol], ['selfhosted', 'import']);

    // n6: a response-cache hit called no model: $0, cache_hit set, tokens kept.
    const n6 = get(m, 'n6');
    assert.deepEqual([n6.cost_pico, n6.unpriced, n6.cache_hit, n6.model_served], [0, 0, 1, null]);
    assert.deepEqual([n6.input_tokens, n6.output_tokens], [500, 50]);
  });

  test('ISO-8601 (with and without a zone) and epoch milliseconds give the same instants', () => {
    const m = rows(db);
    assert.equal(get(m, 'n1').ts, MAR_1_10H); // "2025-03-01T10:00:00Z"
    assert.equal(get(m, 'n2').ts, MAR_1_10H); // 1740823200000
    assert.equal(get(m, 'n3').ts, Date.UTC(2025, 2, 2, 6, 30, 0, 250)); // "2025-03-02T08:30:00.250+02:00"
    assert.equal(get(m, 'n4').ts, Date.UTC(2025, 2, 2, 9)); // "2025-03-02 09:00:00" is UTC
    for (const v of [
      '2025-03-01T10:00:00Z',
      1740823200000,
      '1740823200000',
      '2025-03-01 10:00:00',
      '2025-03-01T12:00:00+02:00',
      '2025-03-01T05:00:00-0500',
    ])
      assert.equal(parseTimestamp(v), MAR_1_10H, String(v));
    assert.match(String(parseTimestamp(1740823200)), /before 2000-01-01 .*milliseconds, not seconds/);
    assert.match(String(parseTimestamp('March 1st')), /not ISO-8601/);
  });

  test('re-importing the same file adds nothing', async () => {
    const before = rows(db);
    const r = await runCli(['import', `${FIX}/native.jsonl`, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /imported 0, already present 6/);
    const after = rows(db);
    assert.deepEqual([...after.entries()], [...before.entries()]);
  });

  test('--customer-field picks the customer', async () => {
    const other = join(tmp(), 'ledger.db');
    const r = await runCli([
      'import',
      `${FIX}/native.jsonl`,
      '--db',
      other,
      '--customer-field',
      'user_id',
      '--max-errors',
      '5',
    ]);
    // n5 and n6 have no user_id: bad rows naming the field; the others are keyed by user.
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /native\.jsonl:6: user_id: required/);
    assert.match(r.stderr, /native\.jsonl:7: user_id: required/);
    assert.equal(get(rows(other), 'n1').customer, 'u1');
  });
});

describe('bad rows', () => {
  const expected = [
    [2, 'record: not valid JSON'],
    [3, 'cache_read_tokens: larger than input_tokens (20 > 10)'],
    [4, 'user_id: customer id must be 1–128 characters'],
    [5, 'timestamp: required'],
    [6, 'cache_write_1h_tokens: larger than cache_write_tokens (20 > 10)'],
    [8, 'input_tokens: must be a whole number ≥ 0 (got "abc")'],
    [9, 'timestamp: before 2000-01-01'],
  ] as const;

  test('each is reported as FILE:LINE: field: problem; past --max-errors (default 0) nothing is imported, exit 1', async () => {
    const db = join(tmp(), 'ledger.db');
    const r = await runCli(['import', `${FIX}/bad.jsonl`, '--db', db]);
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, expected.length, r.stderr);
    for (const [i, [line, text]] of expected.entries())
      assert.ok(lines[i]?.startsWith(`${FIX}/bad.jsonl:${line}: ${text}`), lines[i]);
    assert.match(
      r.stdout,
      /9 rows read: imported 0 \(more than --max-errors 0 bad rows: nothing was imported\)/,
    );
    assert.ok(!existsSync(db) || rows(db).size === 0, 'nothing written');
  });

  test('one more bad row than allowed still imports nothing; as many as allowed imports the good rows', async () => {
    const db = join(tmp(), 'ledger.db');
    const six = await runCli(['import', `${FIX}/bad.jsonl`, '--db', db, '--max-errors', '6']);
    assert.equal(six.code, 1);
    assert.ok(!existsSync(db) || rows(db).size === 0);
    const seven = await runCli(['import', `${FIX}/bad.jsonl`, '--db', db, '--max-errors', '7']);
    assert.equal(seven.code, 0, seven.stderr);
    assert.match(seven.stdout, /imported 2, already present 0, flagged 0, bad 7/);
    assert.deepEqual([...rows(db).keys()].sort(), ['b1', 'b7']);
  });
});

describe('native CSV', () => {
  test('the same fields as columns: tokens, prices, tags, stated costs, a bad timestamp by line', async () => {
    const db = join(tmp(), 'ledger.db');
    const r = await runCli(['import', `${FIX}/native.csv`, '--db', db, '--max-errors', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /5 rows read: imported 4, already present 0, flagged 1, bad 1/);
    assert.match(r.stderr, /native\.csv:6: timestamp: not ISO-8601 or epoch ms \(got "yesterday"\)/);
    const m = rows(db);
    const c2 = get(m, 'c2');
    assert.deepEqual(
      [
        c2.customer,
        c2.input_tokens,
        c2.cache_read_tokens,
        c2.cache_write_5m_tokens,
        c2.cache_write_1h_tokens,
      ],
      ['u2', 5000, 2000, 2000, 1000],
    );
    assert.equal(c2.cost_pico, 35_100_000_000);
    assert.equal(c2.ts, MAR_1_10H);
    assert.equal(get(m, 'c1').cost_pico, 435_000_000);
    assert.equal(get(m, 'c3').cost_pico, 2_000_000_000); // stated, flagged
    assert.match(r.stderr, /flagged: .*native\.csv:4 c3 /);
    const c4 = get(m, 'c4'); // status 500 kept; no stated cost → catalog: 1000 × 0.15/M + 10 × 0.60/M
    assert.deepEqual([c4.status, c4.cost_pico], [500, 1000 * MINI.input + 10 * MINI.output]);
  });
});

describe('LiteLLM spend-log export', () => {
  const db = join(tmp(), 'ledger.db');

  test('a .csv with LiteLLM columns is read as litellm; a bad row over the limit stops the import', async () => {
    const r = await runCli(['import', `${FIX}/litellm.csv`, '--db', db]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /litellm\.csv:7: metadata: not valid JSON; end_user: customer id must be/);
    assert.ok(!existsSync(db) || rows(db).size === 0);
  });

  test('maps customers, tokens (cache parts of prompt_tokens), spend, times and cache hits', async () => {
    const r = await runCli([
      'import',
      `${FIX}/litellm.csv`,
      '--db',
      db,
      '--max-errors',
      '1',
      '--format',
      'litellm',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /6 rows read: imported 5, already present 0, flagged 1, bad 1/);
    const m = rows(db);
    // l1: end_user wins over user and team; prompt 10,000 = 2,000 read + 3,000 written + 5,000 fresh.
    const l1 = get(m, 'l1');
    assert.deepEqual(
      [l1.customer, l1.feature, l1.model_requested, l1.model_served],
      ['cust_1', 'support', 'claude-sonnet', 'claude-3-5-sonnet-20241022'],
    );
    assert.deepEqual([l1.input_tokens, l1.cache_read_tokens, l1.cache_write_5m_tokens], [5000, 2000, 3000]);
    const l1Catalog = 5000 * SONNET.input + 2000 * SONNET.read + 3000 * SONNET.write5m + 400 * SONNET.output;
    assert.equal(l1Catalog, 32_850_000_000); // = the stated spend $0.03285: not flagged
    assert.equal(l1.cost_pico, 32_850_000_000);
    assert.deepEqual([l1.ts, l1.latency_ms, l1.ttft_ms], [MAR_1_10H, 2500, 900]);
    // l2: no end_user → user; cached_tokens from prompt_tokens_details; a float's noise in spend is rounded
    // to the pico-dollar and is no difference from the catalog.
    const l2 = get(m, 'l2');
    assert.deepEqual([l2.customer, l2.input_tokens, l2.cache_read_tokens], ['u_9', 800, 200]);
    assert.equal(l2.cost_pico, 435_000_000);
    // l3: only a team; stated $0.01 for a $0.00075 call: flagged.
    assert.equal(get(m, 'l3').customer, 'team_x');
    assert.match(r.stderr, /flagged: .*litellm\.csv:4 l3 .*stated \$0\.01, catalog \$0\.00075/);
    // l4: LiteLLM's cache_hit "True" is a response-cache hit.
    assert.deepEqual([get(m, 'l4').cache_hit, get(m, 'l4').cost_pico], [1, 0]);
    // l5: no spend → priced; reads + writes (5,000) exceed prompt_tokens (4,000): an older LiteLLM that left
    // cache writes out of prompt_tokens, so fresh input = 4,000 − 2,000 read = 2,000.
    const l5 = get(m, 'l5');
    assert.deepEqual([l5.input_tokens, l5.cache_read_tokens, l5.cache_write_5m_tokens], [2000, 2000, 3000]);
    assert.equal(
      l5.cost_pico,
      2000 * SONNET.input + 2000 * SONNET.read + 3000 * SONNET.write5m + 400 * SONNET.output,
    );
  });
});

describe('re-importing pruned rows', () => {
  test('rows pruned since are already present, in the real run and in the dry run', async () => {
    const dir = tmp();
    const db = join(dir, 'ledger.db');
    const first = await runCli(['import', `${FIX}/native.jsonl`, '--db', db]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /imported 6, already present 0/);
    // n1–n4 are from March 1st and 2nd: pruned. n5 and n6 (March 3rd) stay.
    const prune = await runCli(['prune', '--before', '2025-03-03', '--db', db]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /^pruned 4 raw row\(s\)/);
    assert.deepEqual([...rows(db).keys()].sort(), ['n5', 'n6']);
    // One more row from before the horizon that was never imported: it is new.
    const extra = join(dir, 'extra.jsonl');
    writeFileSync(
      extra,
      `${JSON.stringify({ request_id: 'n7', user_id: 'u7', feature: 'chat', model: 'gpt-4o-mini', input_tokens: 10, output_tokens: 5, timestamp: '2025-03-01T12:00:00Z' })}\n`,
    );
    const args = ['import', `${FIX}/native.jsonl`, extra, '--db', db];
    const dry = await runCli([...args, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^dry run: 7 rows read: would import 1, already present 6,/);
    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^7 rows read: imported 1, already present 6,/);
    assert.deepEqual([...rows(db).keys()].sort(), ['n5', 'n6', 'n7']);
    const third = await runCli([...args, '--dry-run']);
    assert.match(third.stdout, /would import 0, already present 7,/);
  });
});

describe('dry run and config', () => {
  test('--dry-run validates and prices but writes nothing, not even a new ledger file', async () => {
    const dir = tmp();
    const fresh = join(dir, 'fresh.db');
    const r = await runCli(['import', `${FIX}/native.jsonl`, '--db', fresh, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^dry run: 6 rows read: would import 6, already present 0, flagged 1, bad 0/);
    assert.equal(existsSync(fresh), false);

    const db = join(dir, 'ledger.db');
    assert.equal((await runCli(['import', `${FIX}/native.csv`, '--db', db, '--max-errors', '1'])).code, 0);
    const before = rows(db);
    const d = await runCli([
      'import',
      `${FIX}/native.jsonl`,
      `${FIX}/native.csv`,
      '--db',
      db,
      '--dry-run',
      '--max-errors',
      '1',
    ]);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /11 rows read: would import 6, already present 4, flagged 2, bad 1/);
    assert.deepEqual([...rows(db).entries()], [...before.entries()]);
  });

  test("the config's negotiated discount prices imported rows as it prices gateway calls", async () => {
    const dir = tmp();
    const config = join(dir, 'margin.yaml');
    writeFileSync(
      config,
      'pricing:\n  overrides:\n    - provider: openai\n      model: gpt-4o-mini\n      discountPercent: 40\n',
    );
    const db = join(dir, 'ledger.db');
    const r = await runCli(['import', `${FIX}/native.jsonl`, '--db', db, '--config', config]);
    assert.equal(r.code, 0, r.stderr);
    // 40% off each per-token rate: 90,000 / 45,000 / 360,000 pico-USD.
    assert.equal(get(rows(db), 'n1').cost_pico, 800 * 90_000 + 200 * 45_000 + 500 * 360_000);
    // n3's stated $0.000075 is now above the discounted $0.000045: flagged too.
    assert.match(r.stdout, /flagged 2/);
  });
});

test('decimal USD text becomes pico-USD exactly, floats noise rounded half up at the pico-dollar', () => {
  assert.equal(decimalUsdToPico('0.03285'), 32_850_000_000n);
  assert.equal(decimalUsdToPico('0.00043500000000000006'), 435_000_000n);
  assert.equal(decimalUsdToPico('1.5e-7'), 150_000n);
  assert.equal(decimalUsdToPico('2E1'), 20_000_000_000_000n);
  assert.equal(decimalUsdToPico('0.0000000000005'), 1n);
  assert.equal(decimalUsdToPico('0.0000000000004'), 0n);
  assert.equal(decimalUsdToPico('12'), 12_000_000_000_000n);
  assert.equal(decimalUsdToPico('.5'), 500_000_000_000n);
  for (const bad of ['', 'abc', '1,5', '0x10', '1e', 'NaN'])
    assert.equal(decimalUsdToPico(bad), undefined, bad);
});
