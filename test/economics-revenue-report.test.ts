// The report's revenue side beyond plan prices: billed overage and prepaid top-ups, checked against hand
// arithmetic through the same runReport the CLI and admin API use.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { economicsDefaults } from '../src/config/economics-schema.js';
import { runReport } from '../src/economics/report/run-report.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
import { openStorage } from '../src/storage/open.js';

const NOV = Date.parse('2026-11-01T00:00:00Z');
const DEC = Date.parse('2026-12-01T00:00:00Z');
const PICO = 1_000_000_000_000n;

function row(id: string, customer: string, ts: number, costPico: number): LedgerRow {
  return {
    id,
    ts,
    customer,
    keyId: 'k',
    feature: 'chat',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'm',
    modelServed: 'm',
    modelRouted: null,
    inputTokens: 10,
    outputTokens: 5,
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costPico,
    unpriced: false,
    estimated: false,
    cacheHit: false,
    status: 200,
    errorCode: null,
    latencyMs: 1,
    ttftMs: null,
    streamed: false,
  };
}

test('overage past the budget and prepaid top-ups count as revenue', async () => {
  const db = join(mkdtempSync(join(tmpdir(), 'margin-rev-')), 'ledger.db');
  const storage = openStorage({ db });
  const { store } = storage;
  const at = NOV;
  await store.control.upsertPlans(
    {
      metered: {
        priceUsd: '10',
        budget: { unit: 'usd', amount: '1' },
        overage: { pricePerUnitUsd: '0.5' },
        soft: { thresholdPercent: 80 },
        hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
        features: {},
        rateLimits: {},
      },
      prepaid: {
        priceUsd: '0',
        soft: { thresholdPercent: 80 },
        hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
        features: {},
        rateLimits: {},
      },
    },
    at,
  );
  await store.control.setCustomer({ id: 'heavy', plan: 'metered', since: NOV }, Date.now());
  await store.control.setCustomer({ id: 'pre', plan: 'prepaid', since: NOV }, Date.now());
  // heavy: $3 of AI cost in November on a $1 budget → $2 over × $0.50 per USD = $1 of overage.
  await store.write(
    [1, 2, 3].map((i) => ({ request: row(`r${i}`, 'heavy', NOV + i * 86_400_000, Number(PICO)) })),
  );
  await store.write([{ request: row('p1', 'pre', NOV + 5 * 86_400_000, 1_000_000) }]);
  await store.control.addWalletEntry({
    id: 'top1',
    wallet: 'pre',
    ts: NOV + 9 * 86_400_000,
    amountPico: 25n * PICO,
    reason: 'top_up',
    requestId: null,
    note: null,
  });
  const { report } = await runReport(
    {
      reader: storage.economics,
      control: store.control,
      catalog: new PriceCatalog(),
      economics: economicsDefaults(),
    },
    { period: 'month', from: NOV, to: DEC },
    DEC,
  );
  await storage.close();
  const nov = report.buckets[0];
  assert.ok(nov);
  const tier = (p: string) => nov.tiers.find((t) => t.plan === p);
  assert.equal(tier('metered')?.revenue_usd, '11'); // $10 price + $1 overage
  assert.equal(tier('prepaid')?.revenue_usd, '25'); // what was topped up
  assert.equal(nov.totals.revenue_usd, '36');
});
