// Ledger writer throughput: rows/s through the write path's transaction (prepareApplyOps), in batches
// like the group commit's. Run: node --import tsx bench/ledger-writer.ts [rows] [batch]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type { LedgerRow } from '../src/ledger/types.js';

const N = Number(process.argv[2] ?? 200_000);
const BATCH = Number(process.argv[3] ?? 100);
const DAY = 86_400_000;
const t0 = Date.UTC(2026, 0, 1);

function row(i: number): LedgerRow {
  const c = (i * 7919) % 2000;
  return {
    id: `req_bench_${i.toString(36).padStart(8, '0')}`,
    ts: t0 + Math.floor(i / (N / 30)) * DAY + (i % 1000) * 1000,
    customer: `cust_${c}`,
    keyId: `key_${c}`,
    feature: `feature_${i % 5}`,
    provider: i % 3 === 0 ? 'anthropic' : 'openai',
    protocol: 'openai',
    modelRequested: ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku'][i % 3] as string,
    modelServed: null,
    modelRouted: null,
    inputTokens: 500 + (i % 300),
    outputTokens: 200 + (i % 100),
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: i % 4 === 0 ? 128 : 0,
    costPico: 1_000_000 + i,
    unpriced: false,
    estimated: false,
    cacheHit: false,
    status: 200,
    errorCode: null,
    latencyMs: 12.5,
    ttftMs: null,
    streamed: false,
    ...(i % 2 === 0 ? { tags: ['bench', `t${i % 7}`] } : {}),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'margin-bench-'));
// The gateway's setting: writes on the writer thread, checkpoints on their own thread.
const store = new SqliteStore(join(dir, 'ledger.db'), { writerThread: true });
const rows = Array.from({ length: N }, (_, i) => row(i));
const start = performance.now();
for (let i = 0; i < N; i += BATCH) await store.append(rows.slice(i, i + BATCH));
const secs = (performance.now() - start) / 1000;
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(`${N} rows in batches of ${BATCH}: ${secs.toFixed(2)} s, ${Math.round(N / secs)} rows/s`);
