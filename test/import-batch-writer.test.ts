// The import's bulk writer: rows written as they come, one transaction per batch. Across several batches,
// with ids repeated inside a batch and across batches and rows pruned before, it keeps the first of each
// id, counts the rest as present, and leaves the same rollups as the gateway's write path (and the sums
// worked out here from the rows); a batch not committed when the import fails is rolled back; a ledger
// another process holds the write lock on is named as busy and nothing is written.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { LedgerBatchWriter } from '../src/economics/import/batch-writer.js';
import { openStorage } from '../src/storage/open.js';
import { expected, firstOfEachId, randomRows } from './conformance/ledger-rollups.js';
import { runCli } from './helpers/cli.js';
import { holdWriteLock } from './helpers/write-lock.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'margin-import-writer-'));
const TABLES = [
  'rollup_customer_detail_day',
  'rollup_customer_month',
  'rollup_customer_week',
  'rollup_dims_day',
  'rollup_tag_day',
];

/** Every rollup table and the raw rows, in key order (integers as bigints: nothing rounded on the way). */
function dump(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    db.defaultSafeIntegers(true);
    const out: Record<string, unknown[]> = {};
    for (const t of [...TABLES, 'requests']) out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all();
    return out;
  } finally {
    db.close();
  }
}

describe('LedgerBatchWriter', () => {
  test('batches of 37: the first of each id is kept, the rest present, the rollups as the gateway leaves them', async () => {
    // 8% of the rows repeat an earlier id (with other content): inside a batch and across batches.
    const rows = randomRows(5, 400);
    const kept = firstOfEachId(rows);
    assert.ok(rows.length - kept.length > 20, 'enough repeated ids');

    const viaImport = join(tmp(), 'import.db');
    const w = new LedgerBatchWriter(viaImport, 37);
    try {
      for (const r of rows) w.add(r);
      w.flush();
    } finally {
      w.close();
    }
    assert.deepEqual([w.imported, w.present], [kept.length, rows.length - kept.length]);

    const viaGateway = join(tmp(), 'gateway.db');
    const s = openStorage({ db: viaGateway });
    await s.store.append(rows);
    await s.close();
    assert.deepEqual(dump(viaImport), dump(viaGateway));

    // And the detail rollup against sums of the kept rows worked out here.
    const want = expected(kept).detail.map((g) => [
      g.customer,
      BigInt(g.day),
      g.feature,
      g.model,
      g.provider,
      BigInt(g.requests),
      g.costPico,
    ]);
    const got = dump(viaImport).rollup_customer_detail_day!.map((r) => {
      const x = r as Record<string, unknown>;
      return [x.customer, x.day, x.feature, x.model, x.provider, x.requests, x.cost_pico];
    });
    assert.deepEqual(got, want);

    // Importing the same rows again adds nothing and counts every row as present.
    const again = new LedgerBatchWriter(viaImport, 37);
    try {
      for (const r of rows) again.add(r);
      again.flush();
    } finally {
      again.close();
    }
    assert.deepEqual([again.imported, again.present], [0, rows.length]);
    assert.deepEqual(dump(viaImport), dump(viaGateway));

    // Rows pruned since are not added back either: their sums are in the rollups already.
    const horizon = Date.parse('2026-02-01T00:00:00Z');
    const s2 = openStorage({ db: viaImport });
    const { deleted } = await s2.retention.prune(horizon);
    await s2.close();
    assert.ok(deleted > 0 && deleted < kept.length, `${deleted} pruned`);
    const before = dump(viaImport);
    const third = new LedgerBatchWriter(viaImport, 37);
    try {
      for (const r of rows) third.add(r);
      third.flush();
    } finally {
      third.close();
    }
    assert.deepEqual([third.imported, third.present], [0, rows.length]);
    assert.deepEqual(dump(viaImport), before);
  });

  test('a batch not committed when the import stops is rolled back; committed ones stay', () => {
    const rows = firstOfEachId(randomRows(9, 12)).slice(0, 5);
    const file = join(tmp(), 'l.db');
    const w = new LedgerBatchWriter(file, 2);
    for (const r of rows) w.add(r); // two batches of two committed, the fifth row still open
    w.close(); // as runImport's `finally` does when a later row fails
    assert.equal(w.imported, 4);
    const left = dump(file);
    assert.deepEqual(
      left.requests!.map((r) => (r as { id: string }).id),
      rows
        .slice(0, 4)
        .map((r) => r.id)
        .sort(),
    );
    const requests = (left.rollup_customer_month as { requests: bigint }[]).reduce(
      (n, g) => n + g.requests,
      0n,
    );
    assert.equal(requests, 4n, 'the rollups count the committed rows only');
  });
});

describe('margin import against a locked ledger', () => {
  test('names the ledger as busy, writes nothing, and the same import succeeds once the lock is gone', async () => {
    const dir = tmp();
    const db = join(dir, 'ledger.db');
    const file = join(dir, 'calls.jsonl');
    writeFileSync(
      file,
      `${JSON.stringify({ request_id: 'r1', user_id: 'u1', model: 'gpt-4o-mini', input_tokens: 10, output_tokens: 5, timestamp: '2025-04-01T00:00:00Z' })}\n`,
    );
    await openStorage({ db }).close();
    const lock = await holdWriteLock(db);
    let r: Awaited<ReturnType<typeof runCli>>;
    try {
      r = await runCli(['import', file, '--db', db]);
    } finally {
      await lock.release();
    }
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /the ledger .*ledger\.db is busy \(another process holds its write lock\); 0 row\(s\) were imported/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(dump(db).requests, []);
    const retry = await runCli(['import', file, '--db', db]);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /imported 1, already present 0/);
  });
});
