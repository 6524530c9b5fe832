// The import's spill file: rows written and read back are the same rows, field for field, across the
// writer's buffer boundaries, with characters of every UTF-8 length in them and every optional field set
// and unset.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSpill, SpillFile } from '../src/economics/import/spill-file.js';
import type { LedgerRow } from '../src/ledger/types.js';

function row(i: number): LedgerRow {
  const odd = i % 2 === 1;
  return {
    id: `req-${i}-"quoted"\\back`,
    ts: Date.UTC(2025, 0, 1) + i * 1000,
    customer: `cust_${i % 97}`,
    keyId: 'import',
    feature: odd ? 'chat' : 'default',
    provider: 'openai',
    protocol: 'openai',
    // 1-, 2-, 3- and 4-byte UTF-8 characters (many 3-byte ones), so lines meet the buffer's end mid-character.
    modelRequested: `model-é-🙂-${'模'.repeat(i % 100)}`,
    modelServed: odd ? null : 'served',
    modelRouted: odd ? 'routed' : null,
    inputTokens: i,
    outputTokens: 2 * i,
    reasoningTokens: i % 3,
    cacheWrite5mTokens: i % 5,
    cacheWrite1hTokens: i % 7,
    cacheReadTokens: i % 11,
    costPico: odd ? null : 2 ** 52 + i,
    unpriced: odd,
    estimated: i % 4 === 0,
    cacheHit: i % 6 === 0,
    status: odd ? 200 : 503,
    errorCode: odd ? null : 'upstream_error',
    latencyMs: i + 0.25,
    ttftMs: odd ? null : 12.5,
    streamed: odd,
    ...(i % 3 === 0 ? { tags: ['a', `t${i}`] } : {}),
  };
}

test('20,000 rows (several buffers) come back as written, in order', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'margin-spill-')), 'rows.jsonl');
  const rows = Array.from({ length: 20_000 }, (_, i) => row(i));
  const spill = new SpillFile(file);
  for (const r of rows) {
    const wait = spill.add(r);
    if (wait) await wait;
  }
  await spill.finish();
  assert.equal(spill.rows, rows.length);
  assert.ok(spill.bytes > 2 * 1024 * 1024, `${spill.bytes} bytes: more than two buffers`);
  const back: LedgerRow[] = [];
  let seen = 0;
  for await (const chunk of readSpill(file, (b) => {
    seen = b;
  }))
    back.push(...chunk);
  assert.equal(seen, spill.bytes);
  assert.deepEqual(back, rows);
});
