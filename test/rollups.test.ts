// Rollups over SQLite (file with the writer thread, and :memory:), the migration that adds them to an
// existing ledger, and request tags end to end through the real OpenAI SDK.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { spendRows } from '../src/economics/spend-table.js';
import { openJournal } from '../src/journal/replay.js';
import { SqliteEconomicsReader } from '../src/ledger/sqlite/economics-reader.js';
import { MIGRATIONS } from '../src/ledger/sqlite/migrations.js';
import { SpendThread } from '../src/ledger/sqlite/spend-thread.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { LedgerWriter } from '../src/ledger/writer.js';
import { parseTags } from '../src/pipeline/tags.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
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
    const reader = openStorage({ db: h.db });
    const tagDays = await reader.economics.tagDays(day, day + 86_400_000);
    await reader.close();
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

describe('tags in the request journal', () => {
  test('begin and settle lines carry tags; lines written before tags existed still replay', async () => {
    const dir = join(tmp(), 'j');
    mkdirSync(dir);
    const ts = Date.parse('2026-11-01T10:00:00Z');
    const head = {
      ts,
      customer: 'acme',
      keyId: 'k',
      feature: 'chat',
      provider: 'openai',
      protocol: 'openai',
      modelRequested: 'gpt-4o-mini',
    };
    const begin = (id: string, extra = {}) => ({
      ...head,
      id,
      model: 'gpt-4o-mini',
      inputTokens: 100,
      bodyBytes: 400,
      wallet: null,
      ...extra,
    });
    const settled = (id: string, extra = {}) => ({
      ...head,
      id,
      modelServed: null,
      modelRouted: null,
      inputTokens: 10,
      outputTokens: 5,
      reasoningTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      costPico: 1000,
      unpriced: false,
      estimated: false,
      cacheHit: false,
      status: 200,
      errorCode: null,
      latencyMs: 1,
      ttftMs: null,
      streamed: false,
      ...extra,
    });
    // Hand-written lines, as an older and the current gateway wrote them (a bad `tags` value is dropped).
    const lines = [
      { b: begin('old_orphan') },
      { b: begin('new_orphan', { tags: ['beta', 'exp/1'] }) },
      { b: begin('bad_orphan', { tags: 'not-a-list' }) },
      { b: begin('old_settled') },
      { s: { request: settled('old_settled') } },
      { b: begin('new_settled', { tags: ['beta'] }) },
      { s: { request: settled('new_settled', { tags: ['beta'] }) } },
    ];
    writeFileSync(join(dir, '0000000001.log'), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const writer = new LedgerWriter(store);
    const catalog = new PriceCatalog([], (id) => id);
    const { journal, replayed } = await openJournal(
      dir,
      { writer, control: store.control, catalog },
      { segmentBytes: 4096, reserveBytes: 8192, log: () => {} },
    );
    assert.deepEqual(replayed, { settles: 2, orphans: 3 });
    await writer.drain();
    const tags = Object.fromEntries((await store.requests({})).map((r) => [r.id, r.tags]));
    assert.deepEqual(tags, {
      old_orphan: undefined,
      new_orphan: ['beta', 'exp/1'],
      bad_orphan: undefined,
      old_settled: undefined,
      new_settled: ['beta'],
    });
    const day = Date.parse('2026-11-01T00:00:00Z');
    const byTag = await store.economics().tagDays(day, day + 86_400_000);
    assert.deepEqual(
      byTag.map((t) => [t.tag, t.requests]),
      [
        ['beta', 2],
        ['exp/1', 1],
      ],
    );
    journal.close();
    await store.close();
  });
});

describe('rollup sums past 2^53 pico-USD', () => {
  test('cost stays exact in every rollup, within one transaction and across several', async () => {
    const file = join(tmp(), 'l.db');
    const s = openStorage({ db: file });
    const base = randomRows(11, 1)[0]!;
    const row = (i: number, costPico: number): LedgerRow => ({
      ...base,
      id: `big_${i}`,
      ts: Date.UTC(2026, 2, 10, 12),
      customer: 'acme',
      costPico,
      unpriced: false,
      tags: ['big'],
    });
    // Each cost is exact as a number; their sum is not (2^53 is the last integer a double counts to).
    const costs = [2 ** 53 - 1, 2 ** 53 - 3, 2 ** 52 + 1, 2 ** 60, 7, 2 ** 53 - 5];
    await s.store.append(costs.slice(0, 4).map((c, i) => row(i, c)));
    await s.store.append(costs.slice(4).map((c, i) => row(4 + i, c)));
    await s.close();
    const want = costs.reduce((sum, c) => sum + BigInt(c), 0n);
    assert.ok(want > 2n ** 60n);
    const db = new Database(file, { readonly: true });
    try {
      db.defaultSafeIntegers(true);
      for (const table of [
        'rollup_customer_detail_day',
        'rollup_customer_month',
        'rollup_customer_week',
        'rollup_dims_day',
        'rollup_tag_day',
      ]) {
        const got = db.prepare(`SELECT requests, cost_pico FROM ${table}`).all();
        assert.deepEqual(got, [{ requests: BigInt(costs.length), cost_pico: want }], table);
      }
    } finally {
      db.close();
    }
  });
});

describe('parseTags', () => {
  test('16 distinct tags fit; duplicates do not count; absent or empty is none', () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => `t${i}`);
    assert.deepEqual(parseTags(sixteen.join(',')), sixteen);
    assert.deepEqual(parseTags(`${sixteen.join(',')},t0, t15`), sixteen);
    assert.deepEqual(parseTags(['a', 'b,a']), ['a', 'b']);
    assert.equal(parseTags(undefined), undefined);
    assert.equal(parseTags(''), undefined);
    assert.deepEqual(parseTags('x'.repeat(64)), ['x'.repeat(64)]);
    assert.throws(
      () => parseTags(`${sixteen.join(',')},t16`),
      /x-margin-tags: at most 16 distinct tags \(got 17\)/,
    );
    assert.throws(() => parseTags(' '), /x-margin-tags: each tag/);
  });
});

test('per-customer spend: a spend thread that cannot open its ledger falls back to the reader’s own connection', async () => {
  const s = await openStorage({ db: join(tmp(), 'spend.db') }, { writerThread: true });
  try {
    const rows = randomRows(9, 120);
    await s.store.append(rows);
    const db = (s.store as unknown as { db: Database.Database }).db;
    const from = Date.parse('2025-01-01T00:00:00Z');
    const to = Date.parse('2027-01-01T00:00:00Z');
    const own = await new SqliteEconomicsReader(db).customerSpend('month', from, to);
    const broken = new SpendThread(join(tmp(), 'missing', 'nothing.db'));
    const viaBroken = await new SqliteEconomicsReader(db, broken).customerSpend('month', from, to);
    await broken.close();
    assert.ok(own.length > 3, 'the ledger has customer months');
    assert.deepEqual(spendRows(viaBroken), spendRows(own));
    // And the store's own thread answers the same.
    assert.deepEqual(spendRows(await s.economics.customerSpend('month', from, to)), spendRows(own));
  } finally {
    await s.close();
  }
});
