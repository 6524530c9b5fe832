// The import's check pass on threads: a JSONL file cut into parts at line starts, each checked on its own
// thread, gives what one thread gives — the same bad rows with the same file line numbers in the same
// order, the same flagged examples and counts, and the same ledger — with bad rows, blank lines and a
// repeated id on both sides of the cuts and a last line without a newline.
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config/load.js';
import { planUnits } from '../src/economics/import/plan-units.js';
import { type ImportSummary, runImport } from '../src/economics/import/run-import.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-import-parallel-'));
const file = join(dir, 'calls.jsonl');

// 3000 lines: every 97th a bad row (a negative token count), every 211th blank, every 50th a stated cost
// the catalog disagrees with; line 2500 repeats the id of line 10.
const lines: string[] = [];
const badLines: number[] = [];
for (let n = 1; n <= 3000; n++) {
  if (n % 211 === 0) {
    lines.push('');
    continue;
  }
  const bad = n % 97 === 0;
  if (bad) badLines.push(n);
  lines.push(
    JSON.stringify({
      request_id: n === 2500 ? 'r10' : `r${n}`,
      user_id: `u${n % 17}`,
      model: 'gpt-4o-mini',
      input_tokens: bad ? -1 : 1000 + n,
      output_tokens: 10,
      timestamp: new Date(Date.UTC(2025, 3, 1) + n * 60_000).toISOString(),
      ...(n % 50 === 0 ? { cost_usd: '1.5' } : {}),
    }),
  );
}
writeFileSync(file, lines.join('\n')); // no newline after the last line

async function run(db: string, threads: number, dryRun = false, files = [file]) {
  const bad: string[] = [];
  const summary = await runImport({
    files,
    maxErrors: 1000,
    dryRun,
    db,
    config: loadConfig({ overrides: { db } }),
    onBadRow: (l) => bad.push(l),
    threads,
    minPartBytes: Math.floor(statSync(file).size / 4),
  });
  return { bad, summary };
}

function dump(db: string): unknown[][] {
  const d = new Database(db, { readonly: true });
  try {
    return ['requests', 'rollup_customer_detail_day', 'rollup_customer_month', 'rollup_dims_day'].map((t) =>
      d.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all(),
    );
  } finally {
    d.close();
  }
}

test('the file is cut at line starts into as many parts as threads', () => {
  const units = planUnits([file], undefined, 3, Math.floor(statSync(file).size / 4));
  assert.equal(units.length, 3);
  assert.equal(units[0]!.start, 0);
  for (let i = 1; i < units.length; i++) {
    assert.equal(units[i]!.start, units[i - 1]!.end, 'parts meet');
    const before = Buffer.alloc(1);
    const fd = openSync(file, 'r');
    readSync(fd, before, 0, 1, units[i]!.start - 1);
    closeSync(fd);
    assert.equal(before.toString(), '\n', 'a part starts right after a newline');
  }
  assert.equal(units.at(-1)!.end, Number.POSITIVE_INFINITY);
});

test('three threads report and write what one thread does', async () => {
  const one = await run(join(dir, 'one.db'), 1);
  const three = await run(join(dir, 'three.db'), 3);

  // The bad rows, independently: their lines, in order, with the file's line numbers.
  assert.deepEqual(
    one.bad.map((l) => Number(l.split(':')[1])),
    badLines,
  );
  assert.ok(one.bad[0]!.startsWith(`${file}:97: input_tokens: must be a whole number ≥ 0 (got -1)`));
  assert.deepEqual(three.bad, one.bad);

  const rows = 3000 - Math.floor(3000 / 211);
  const want: Partial<ImportSummary> = {
    read: rows,
    bad: badLines.length,
    imported: rows - badLines.length - 1, // line 2500 repeats an id
    present: 1,
    written: true,
  };
  for (const s of [one.summary, three.summary])
    for (const [k, v] of Object.entries(want)) assert.equal(s[k as keyof ImportSummary], v, k);
  assert.ok(one.summary.flagged > 50);
  assert.deepEqual(three.summary, one.summary);
  assert.equal(one.summary.flaggedExamples[0]?.startsWith(`${file}:50 r50 `), true);
  assert.deepEqual(dump(join(dir, 'three.db')), dump(join(dir, 'one.db')));
  // The first of the two rows named r10 is kept: line 10's.
  const d = new Database(join(dir, 'three.db'), { readonly: true });
  assert.equal(
    (d.prepare("SELECT input_tokens FROM requests WHERE id = 'r10'").get() as { input_tokens: number })
      .input_tokens,
    1010,
  );
  d.close();
});

test('a dry run on threads counts what one thread counts and writes nothing', async () => {
  const db = join(dir, 'one.db'); // already holds the rows: every good row is present
  const one = await run(db, 1, true);
  const three = await run(db, 3, true);
  assert.deepEqual(three, one);
  assert.equal(one.summary.imported, 0);
  assert.equal(one.summary.written, false);
  const fresh = await run(join(dir, 'never.db'), 3, true);
  assert.equal(fresh.summary.imported, 3000 - Math.floor(3000 / 211) - badLines.length - 1);
  assert.ok(!existsSync(join(dir, 'never.db')), 'not even a ledger file');
});

test('the same file twice: each copy counts its lines from 1, and the second adds nothing', async () => {
  const one = await run(join(dir, 'twice-1.db'), 1, false, [file, file]);
  const three = await run(join(dir, 'twice-3.db'), 3, false, [file, file]);
  assert.deepEqual(
    one.bad.map((l) => Number(l.split(':')[1])),
    [...badLines, ...badLines],
  );
  assert.deepEqual(three, one);
  assert.equal(one.summary.present, 3000 - Math.floor(3000 / 211) - badLines.length + 1);
});
