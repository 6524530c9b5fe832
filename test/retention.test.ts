// Raw-row retention: `margin prune` and `margin rollups rebuild` through the real CLI, the gateway's own
// daily prune with ledger.retainDays, and the config field's validation. Figures read from rollups do not
// move when raw rows go; the expected counts and horizons are computed here by hand.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { startGateway } from '../src/gateway.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { openStorage } from '../src/storage/open.js';
import { runCli } from './helpers/cli.js';
import { eventually } from './helpers/harness.js';

const DAY = 86_400_000;
const tmp = () => mkdtempSync(join(tmpdir(), 'margin-retention-'));
const today = Math.floor(Date.now() / DAY) * DAY;

function row(id: string, ts: number, costPico: number | null, customer = 'acme'): LedgerRow {
  return {
    id,
    ts,
    customer,
    keyId: 'key_1',
    feature: 'chat',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'gpt-4o-mini',
    modelServed: null,
    modelRouted: null,
    inputTokens: 100,
    outputTokens: 10,
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costPico,
    unpriced: costPico === null,
    estimated: false,
    cacheHit: false,
    status: 200,
    errorCode: null,
    latencyMs: 1,
    ttftMs: null,
    streamed: false,
  };
}

/** One row per day for the last `days` days (at 13:00 UTC), costs 1, 2, 3… µUSD, one unpriced. */
function history(days: number): LedgerRow[] {
  return Array.from({ length: days }, (_, i) =>
    row(
      `req_day_${i}`,
      today - i * DAY + 13 * 3_600_000,
      i === 4 ? null : (i + 1) * 1_000_000,
      i % 2 ? 'acme' : 'globex',
    ),
  );
}

async function seed(db: string, rows: LedgerRow[]): Promise<void> {
  const s = openStorage({ db });
  await s.store.append(rows);
  await s.close();
}

describe('margin prune and margin rollups rebuild', () => {
  test('prune --days keeps whole days, changes no figure, and re-importing the pruned rows adds nothing', async () => {
    const db = join(tmp(), 'l.db');
    const rows = history(10);
    await seed(db, rows);
    const usage = async () =>
      JSON.parse((await runCli(['usage', '--by', 'day', '--json', '--db', db])).stdout);
    const before = await usage();
    // Days 0..9 back; --days 3 keeps today and the 3 days before it: rows 4..9 go.
    const r = await runCli(['prune', '--days', '3', '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `pruned 6 raw row(s) before ${new Date(today - 3 * DAY).toISOString()}; reports and budgets read the rollups, which keep them\n`,
    );
    assert.deepEqual(await usage(), before);
    // The total: 1+2+3+4+6+7+8+9+10 µUSD (day 4 unpriced).
    assert.equal(before.total.cost_usd, '0.00005');
    assert.equal(before.total.unpriced_requests, 1);

    const s = openStorage({ db });
    try {
      assert.equal((await s.store.requests({ limit: 100 })).length, 4);
      await s.store.append(rows);
      assert.equal((await s.store.requests({ limit: 100 })).length, 4);
    } finally {
      await s.close();
    }
    assert.deepEqual(await usage(), before);
    const rebuilt = await runCli(['rollups', 'rebuild', '--db', db]);
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stdout, new RegExp(`days before ${new Date(today - 3 * DAY).toISOString()} kept`));
    assert.deepEqual(await usage(), before);
  });

  test('prune --before floors to 00:00 UTC; bad or missing arguments name the flag', async () => {
    const db = join(tmp(), 'l.db');
    await seed(db, history(5));
    const day2 = new Date(today - 2 * DAY + 5 * 3_600_000).toISOString();
    const r = await runCli(['prune', '--before', day2, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^pruned 2 raw row\\(s\\) before ${new Date(today - 2 * DAY).toISOString()}`),
    );
    for (const [args, msg] of [
      [[], /--before or --days: required/],
      [['--days', '0'], /--days: must be an integer ≥ 1/],
      [['--before', 'yesterday'], /--before: not a date/],
      [['--before', '2026-01-01', '--days', '2'], /--before and --days: give one of them/],
    ] as const) {
      const bad = await runCli(['prune', ...args, '--db', db]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, msg);
    }
  });
});

describe('ledger.retainDays', () => {
  test('the field is validated: an integer of at least 1', () => {
    const dir = tmp();
    const file = join(dir, 'margin.yaml');
    writeFileSync(file, 'ledger: { retainDays: 0 }\n');
    assert.throws(() => loadConfig({ file, env: {} }), /ledger\.retainDays/);
    writeFileSync(file, 'ledger: { retainDays: 2.5 }\n');
    assert.throws(() => loadConfig({ file, env: {} }), /ledger\.retainDays/);
    writeFileSync(file, 'ledger: { retainDays: 30 }\n');
    assert.equal(loadConfig({ file, env: {} }).ledger.retainDays, 30);
  });

  test('the gateway prunes on its own at start; budgets and the reader still see every day', async () => {
    const dir = tmp();
    const db = join(dir, 'l.db');
    await seed(db, history(6));
    const file = join(dir, 'margin.yaml');
    writeFileSync(file, 'ledger: { retainDays: 2 }\n');
    const config = loadConfig({ file, env: {}, overrides: { db, port: 0 } });
    const logs: string[] = [];
    const gw = await startGateway(config, { log: (m, f) => logs.push(`${m} ${JSON.stringify(f)}`) });
    try {
      // Rows 3, 4, 5 days back go (days 0..2 stay).
      await eventually(
        async () => assert.equal((await gw.store.requests({ limit: 100 })).length, 3, logs.join('\n')),
        10_000,
      );
      await eventually(async () => assert.ok(logs.some((l) => l.includes('"deleted":3'))), 10_000);
      const days = await gw.store.control.usageByDay('acme', today - 10 * DAY, today + DAY);
      // acme has the odd days: 1, 3, 5 back, costs 2, 4, 6 µUSD.
      assert.deepEqual(
        days.map((d) => [d.day, d.costPico]),
        [
          [today - 5 * DAY, 6_000_000n],
          [today - 3 * DAY, 4_000_000n],
          [today - 1 * DAY, 2_000_000n],
        ],
      );
    } finally {
      await gw.close();
    }
  });
});
