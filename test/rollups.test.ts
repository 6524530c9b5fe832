// Rollups over SQLite (file with the writer thread, and :memory:), the migration that adds them to an
// existing ledger, and request tags end to end through the real OpenAI SDK.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { MIGRATIONS } from '../src/ledger/sqlite/migrations.js';
import { openStorage } from '../src/storage/open.js';
import { expected, firstOfEachId, randomRows, tests } from './conformance/ledger-rollups.js';
import { type Harness, startHarness } from './helpers/harness.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'margin-rollups-'));

tests('SQLite :memory:', async () => openStorage({ db: ':memory:' }));
tests('SQLite file, writer thread', async () =>
  openStorage({ db: join(tmp(), 'l.db') }, { writerThread: true }),
);

describe('rollups migration', () => {
  test('an existing ledger gets its rollups from the rows it already holds', async () => {
    const file = join(tmp(), 'old.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // The schema as it was before rollups: the first two migrations, rows inserted as that version did.
    MIGRATIONS.slice(0, 2).forEach((sql, i) => {
      db.exec(sql);
      db.pragma(`user_version = ${i + 1}`);
    });
    const rows = randomRows(7, 300).map(({ tags: _t, ...r }) => r);
    const ins = db.prepare(`INSERT OR IGNORE INTO requests VALUES (${Array(25).fill('?').join(', ')})`);
    for (const r of rows)
      ins.run(
        r.id,
        r.ts,
        r.customer,
        r.keyId,
        r.feature,
        r.provider,
        r.protocol,
        r.modelRequested,
        r.modelServed,
        r.inputTokens,
        r.outputTokens,
        r.reasoningTokens,
        r.cacheWrite5mTokens,
        r.cacheWrite1hTokens,
        r.cacheReadTokens,
        r.costPico,
        r.unpriced ? 1 : 0,
        r.estimated ? 1 : 0,
        r.cacheHit ? 1 : 0,
        r.status,
        r.errorCode,
        r.latencyMs,
        r.ttftMs,
        r.streamed ? 1 : 0,
        r.modelRouted,
      );
    db.close();
    const s = openStorage({ db: file });
    try {
      const want = expected(firstOfEachId(rows));
      const from = Date.parse('2025-01-01T00:00:00Z');
      const to = Date.parse('2027-01-01T00:00:00Z');
      assert.deepEqual(await s.economics.customerDetailDays(from, to), want.detail);
      assert.deepEqual(await s.economics.customerMonths(from, to), want.months);
      assert.deepEqual(await s.economics.dimensionDays(from, to), want.dims);
      assert.deepEqual(await s.economics.tagDays(from, to), []);
      assert.equal((await s.store.requests({ limit: 1000 }))[0]?.tags, undefined);
    } finally {
      await s.close();
    }
  });
});

describe('request tags through the gateway (x-margin-tags)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('tags sent by the OpenAI SDK land in the ledger row, the admin listing and rollup_tag_day', async () => {
    const tagged = new OpenAI({
      apiKey: h.key,
      baseURL: `${h.gateway.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-margin-tags': ' team:search, exp/42 ,team:search,beta' },
    });
    await tagged.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const row = await h.lastRow();
    assert.deepEqual(row.tags, ['team:search', 'exp/42', 'beta']);
    // A per-request header replaces the default one.
    await tagged.chat.completions.create(
      { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'again' }] },
      { headers: { 'x-margin-tags': 'beta' } },
    );
    const rows = await h.rows();
    const res = await fetch(`${h.gateway.url}/admin/v1/requests`, {
      headers: { authorization: 'Bearer admin-key-for-tests-0123456789' },
    });
    const listed = (await res.json()) as { data: { id: string; tags: string[] }[] };
    assert.deepEqual(
      listed.data.map((d) => d.tags),
      rows.map((r) => r.tags),
    );
    const day = Math.floor(row.ts / 86_400_000) * 86_400_000;
    const tagDays = await openStorage({ db: h.db }).economics.tagDays(day, day + 86_400_000);
    const count = (tag: string) => tagDays.find((t) => t.tag === tag)?.requests;
    assert.deepEqual([count('team:search'), count('exp/42'), count('beta')], [1, 1, 2]);
    const cost = (tag: string) => tagDays.find((t) => t.tag === tag)?.costPico;
    assert.equal(cost('beta'), BigInt((rows[0]?.costPico ?? 0) + (rows[1]?.costPico ?? 0)));
  });

  test('a bad tags header is a 400 naming x-margin-tags, and nothing goes upstream', async () => {
    for (const bad of [
      'ok,has space',
      'a,,b',
      'x'.repeat(65),
      Array.from({ length: 17 }, (_, i) => `t${i}`).join(','),
      'comma"quote',
    ]) {
      const client = new OpenAI({ apiKey: h.key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
      await assert.rejects(
        client.chat.completions.create(
          { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
          { headers: { 'x-margin-tags': bad } },
        ),
        (e: unknown) => {
          assert.ok(e instanceof OpenAI.BadRequestError, String(e));
          assert.match(e.message, /x-margin-tags/);
          return true;
        },
      );
    }
  });
});
