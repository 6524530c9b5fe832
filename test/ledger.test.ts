// The ledger: SqliteStore round trips and aggregates, the group-commit LedgerWriter, virtual-key storage,
// and durability of an answered request when the real `margin serve` process is SIGKILLed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { createVirtualKey, hashKey } from '../src/identity/virtual-keys.js';
import { presentUsage, usageTotal } from '../src/ledger/present.js';
import { MIGRATIONS } from '../src/ledger/sqlite/migrations.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type {
  LedgerRow,
  LedgerStore,
  RequestQuery,
  UsageDimension,
  UsageQuery,
  VirtualKeyRecord,
  WriteOp,
} from '../src/ledger/types.js';
import { LedgerWriter } from '../src/ledger/writer.js';
import { type Standin, startStandin } from '../src/standin/server.js';
import { ROOT, runCli, startServe } from './helpers/cli.js';
import { expectedPico } from './helpers/expected-cost.js';
import { eventually } from './helpers/harness.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'margin-ledger-'));
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function row(id: string, o: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id,
    ts: T0,
    customer: 'acme',
    keyId: 'key_1',
    feature: 'default',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'gpt-4o-mini',
    modelServed: 'gpt-4o-mini-2024-07-18',
    modelRouted: null,
    inputTokens: 100,
    outputTokens: 20,
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costPico: 1_000,
    unpriced: false,
    estimated: false,
    cacheHit: false,
    status: 200,
    errorCode: null,
    latencyMs: 12.5,
    ttftMs: null,
    streamed: false,
    ...o,
  };
}

const stores: SqliteStore[] = [];
function memStore(): SqliteStore {
  const s = new SqliteStore(':memory:');
  stores.push(s);
  return s;
}
after(async () => {
  for (const s of stores) await s.close().catch(() => {});
});

/** Expected usage groups computed straight from the rows (not through SQL). */
function expectedGroups(rows: LedgerRow[], by: UsageDimension) {
  const keyOf = (r: LedgerRow) =>
    by === 'customer'
      ? r.customer
      : by === 'feature'
        ? r.feature
        : by === 'model'
          ? (r.modelServed ?? r.modelRequested)
          : by === 'provider'
            ? r.provider
            : new Date(r.ts).toISOString().slice(0, 10);
  const m = new Map<
    string,
    { requests: number; cost: bigint; unpriced: number; input: number; errors: number }
  >();
  for (const r of rows) {
    const g = m.get(keyOf(r)) ?? { requests: 0, cost: 0n, unpriced: 0, input: 0, errors: 0 };
    g.requests++;
    if (r.costPico !== null) g.cost += BigInt(r.costPico);
    if (r.unpriced) g.unpriced++;
    if (r.status >= 400) g.errors++;
    g.input += r.inputTokens;
    m.set(keyOf(r), g);
  }
  return m;
}

/**
 * The store conformance suite: every way of running a ledger store must pass it (today SQLite written
 * in-thread and SQLite written by its ledger threads; Postgres joins when it lands).
 */
function storeConformance(name: string, make: () => SqliteStore): void {
  describe(`${name}: requests`, () => {
    test('append → requests round-trips every field, newest first', async () => {
      const s = make();
      const a = row('req_a', { ts: T0 + 1 });
      const b = row('req_b', {
        ts: T0 + 2,
        customer: 'globex',
        feature: 'summarize',
        provider: 'anthropic',
        protocol: 'anthropic',
        modelRequested: 'claude-sonnet-4-5',
        modelServed: null,
        inputTokens: 5,
        outputTokens: 6,
        reasoningTokens: 3,
        cacheWrite5mTokens: 7,
        cacheWrite1hTokens: 8,
        cacheReadTokens: 9,
        costPico: null,
        unpriced: true,
        estimated: true,
        cacheHit: true,
        status: 499,
        errorCode: 'client_closed',
        latencyMs: 0.125,
        ttftMs: 3.25,
        streamed: true,
      });
      await s.append([a, b]);
      assert.deepEqual(await s.requests({}), [b, a]);
    });

    test('append is idempotent by request id: the same row twice is stored once', async () => {
      const s = make();
      const r = row('req_dup', { costPico: 5_000 });
      await s.append([r]);
      await s.append([r]);
      await s.append([r, r, row('req_other')]);
      assert.equal((await s.requests({})).length, 2);
      const [g] = await s.usage({ by: 'customer' });
      assert.equal(g?.requests, 2);
      assert.equal(g?.costPico, 6_000n);
    });

    test('filters (customer, from inclusive, to exclusive) and keyset pagination', async () => {
      const s = make();
      const rows = Array.from({ length: 25 }, (_, i) =>
        row(`req_${String(i).padStart(3, '0')}`, { ts: T0 + i * 1000, customer: i % 2 ? 'odd' : 'even' }),
      );
      await s.append(rows);
      assert.deepEqual(
        (await s.requests({ customer: 'odd' })).map((r) => r.id),
        rows
          .filter((_, i) => i % 2)
          .map((r) => r.id)
          .reverse(),
      );
      assert.deepEqual(
        (await s.requests({ from: T0 + 5000, to: T0 + 8000 })).map((r) => r.id),
        ['req_007', 'req_006', 'req_005'],
      );
      const seen: string[] = [];
      let q: RequestQuery = { limit: 7 };
      for (let page = 0; page < 10; page++) {
        const got = await s.requests(q);
        assert.ok(got.length <= 7);
        seen.push(...got.map((r) => r.id));
        if (got.length < 7) break;
        q = { limit: 7, before: got.at(-1)?.id };
      }
      assert.deepEqual(seen, rows.map((r) => r.id).reverse(), 'every row once, newest first');
    });
  });

  describe(`${name}: usage`, () => {
    const customers = ['acme', 'globex', 'initech'];
    const features = ['chat', 'search'];
    const models: [string, string | null][] = [
      ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
      ['claude-sonnet-4-5', null],
      ['gpt-4o', 'gpt-4o'],
    ];
    // Costs near 2^53 so that any float on the way would lose the low digits.
    const rows: LedgerRow[] = Array.from({ length: 301 }, (_, i) => {
      const [req, served] = models[i % 3]!;
      const unpriced = i % 17 === 0;
      return row(`req_${String(i).padStart(4, '0')}`, {
        ts: T0 + (i % 4) * DAY + i,
        customer: customers[i % customers.length]!,
        feature: features[i % 2]!,
        modelRequested: req,
        modelServed: served,
        provider: req.startsWith('claude') ? 'anthropic' : 'openai',
        inputTokens: i,
        costPico: unpriced ? null : Number.MAX_SAFE_INTEGER - i,
        unpriced,
        status: i % 23 === 0 ? 502 : 200,
      });
    });

    for (const by of ['customer', 'feature', 'model', 'provider', 'day'] as const) {
      test(`grouped by ${by}: counts, exact BigInt cost sums, unpriced rows counted but not costed`, async () => {
        const s = make();
        await s.append(rows);
        const got = await s.usage({ by });
        const want = expectedGroups(rows, by);
        assert.deepEqual(new Set(got.map((g) => g.key)), new Set(want.keys()));
        for (const g of got) {
          const w = want.get(g.key)!;
          assert.equal(typeof g.costPico, 'bigint');
          assert.equal(g.costPico, w.cost, `${by}=${g.key} cost`);
          assert.equal(g.requests, w.requests);
          assert.equal(g.unpricedRequests, w.unpriced);
          assert.equal(g.errorRequests, w.errors);
          assert.equal(g.inputTokens, w.input);
        }
        let total = 0n;
        for (const r of rows) total += r.costPico === null ? 0n : BigInt(r.costPico);
        assert.ok(total > BigInt(Number.MAX_SAFE_INTEGER) * 100n, 'sums exceed float precision');
        const t = usageTotal(got);
        assert.equal(
          t.cost_usd,
          `${total / 10n ** 12n}.${(total % 10n ** 12n).toString().padStart(12, '0')}`,
        );
        assert.equal(t.requests, rows.length);
        assert.equal(t.unpriced_requests, rows.filter((r) => r.unpriced).length);
      });
    }

    test('a group of only unpriced rows reports its requests as unpriced, not as priced $0 work', async () => {
      const s = make();
      await s.append([
        row('r1', { customer: 'mystery', costPico: null, unpriced: true }),
        row('r2', { customer: 'mystery', costPico: null, unpriced: true }),
        row('r3', { customer: 'acme', costPico: 2_500_000 }),
      ]);
      const groups = await s.usage({ by: 'customer' });
      const mystery = groups.find((g) => g.key === 'mystery');
      assert.equal(mystery?.requests, 2);
      assert.equal(mystery?.unpricedRequests, 2);
      assert.equal(presentUsage(mystery!).unpriced_requests, 2);
      assert.equal(presentUsage(groups.find((g) => g.key === 'acme')!).cost_usd, '0.0000025');
      // The stored rows keep null cost: nothing turned an unknown price into zero.
      const stored = await s.requests({ customer: 'mystery' });
      assert.ok(stored.every((r) => r.costPico === null && r.unpriced));
    });

    test('usage filters by customer and time window', async () => {
      const s = make();
      await s.append(rows);
      const q: UsageQuery = { by: 'day', customer: 'globex', from: T0 + DAY, to: T0 + 3 * DAY };
      const got = await s.usage(q);
      const subset = rows.filter((r) => r.customer === 'globex' && r.ts >= T0 + DAY && r.ts < T0 + 3 * DAY);
      const want = expectedGroups(subset, 'day');
      assert.deepEqual(got.map((g) => g.key).sort(), ['2026-11-02', '2026-11-03']);
      for (const g of got) assert.equal(g.costPico, want.get(g.key)?.cost);
    });
  });
}

storeConformance('SqliteStore (in-thread writes)', memStore);
storeConformance('SqliteStore (writer thread)', () => {
  const s = new SqliteStore(join(tmp(), 'ledger.db'), { writerThread: true });
  stores.push(s);
  return s;
});

describe('SqliteStore: schema migrations', () => {
  test('a fresh file is migrated once; reopening keeps the data', async () => {
    const file = join(tmp(), 'nested', 'dir', 'ledger.db');
    const a = new SqliteStore(file);
    await a.append([row('keep')]);
    await a.close();
    const b = new SqliteStore(file);
    assert.deepEqual(
      (await b.requests({})).map((r) => r.id),
      ['keep'],
    );
    await b.close();
    const d = new Database(file);
    assert.equal(d.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal(d.pragma('journal_mode', { simple: true }), 'wal');
    d.close();
  });

  test('two processes opening a fresh file at once both start (migration is race-free)', async () => {
    const file = join(tmp(), 'race.db');
    // Another process holds the write lock and migrates while this one is starting up.
    const holder = `
        const Database = require('better-sqlite3');
        const db = new Database(process.argv[1]);
        db.pragma('journal_mode = WAL');
        db.exec('BEGIN IMMEDIATE');
        process.stdout.write('locked\\n');
        setTimeout(() => {
          process.argv.slice(2).forEach((sql, i) => { db.exec(sql); db.pragma('user_version = ' + (i + 1)); });
          db.exec('COMMIT');
          db.close();
        }, 300);`;
    const child = spawn(process.execPath, ['-e', holder, file, ...MIGRATIONS], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(child.stdout, 'data');
    try {
      const s = new SqliteStore(file);
      await s.append([row('after-race')]);
      assert.equal((await s.requests({})).length, 1);
      await s.close();
    } finally {
      await once(child, 'exit');
    }
  });
});

// ---- LedgerWriter ---------------------------------------------------------------------------------------

/** A LedgerStore wrapper that records each append call's batch size and can fail or hold calls. */
class ProbeStore implements LedgerStore {
  calls: number[] = [];
  /** Each entry decides what the next append does; empty = pass through. */
  plan: ('fail-before' | 'fail-after' | 'hold')[] = [];
  private release: (() => void)[] = [];
  constructor(readonly inner: SqliteStore) {}
  append(rows: readonly LedgerRow[]): Promise<void> {
    return this.write(rows.map((request) => ({ request })));
  }
  async write(ops: readonly WriteOp[]): Promise<void> {
    this.calls.push(ops.length);
    const step = this.plan.shift();
    if (step === 'fail-before') throw new Error('disk on fire');
    if (step === 'hold') await new Promise<void>((r) => this.release.push(r));
    await this.inner.write(ops);
    if (step === 'fail-after') throw new Error('commit reported failure after writing');
  }
  releaseAll() {
    for (const r of this.release.splice(0)) r();
  }
  requests(q: RequestQuery) {
    return this.inner.requests(q);
  }
  usage(q: UsageQuery) {
    return this.inner.usage(q);
  }
}

/** Tracks when a promise settles. */
function track(p: Promise<void>) {
  const t = { done: false };
  void p.then(() => {
    t.done = true;
  });
  return t;
}

describe('LedgerWriter', () => {
  // The writer's delay and retry timers are unref()'d (a gateway's server keeps the process alive); here
  // nothing else would, so hold the event loop open while these tests wait on them.
  let keepAlive: NodeJS.Timeout;
  before(() => {
    keepAlive = setInterval(() => {}, 1000);
  });
  after(() => clearInterval(keepAlive));

  test('rows recorded in the same tick are committed by one append call', async () => {
    const probe = new ProbeStore(memStore());
    const w = new LedgerWriter(probe);
    await Promise.all(Array.from({ length: 50 }, (_, i) => w.record(row(`r${i}`))));
    assert.deepEqual(probe.calls, [50]);
    await Promise.all([w.record(row('x1')), w.record(row('x2'))]);
    assert.deepEqual(probe.calls, [50, 2]);
    assert.equal((await probe.requests({ limit: 1000 })).length, 52);
  });

  test('each record() resolves only after its own batch is committed', async () => {
    const probe = new ProbeStore(memStore());
    probe.plan = ['hold', 'hold'];
    const w = new LedgerWriter(probe);
    const first = [w.record(row('a1')), w.record(row('a2'))].map(track);
    await sleep(20);
    assert.deepEqual(probe.calls, [2], 'first batch is in flight');
    assert.ok(
      first.every((t) => !t.done),
      'nothing resolves before the commit',
    );
    // Recorded while the first batch is committing: goes in the next batch, waits for that one.
    const second = track(w.record(row('b1')));
    await sleep(20);
    assert.deepEqual(probe.calls, [2], 'no concurrent append while one is in flight');
    probe.releaseAll();
    await sleep(20);
    assert.ok(first.every((t) => t.done));
    assert.equal(second.done, false, 'the second batch is still held');
    assert.deepEqual(probe.calls, [2, 1]);
    assert.deepEqual((await probe.requests({})).map((r) => r.id).sort(), ['a1', 'a2']);
    probe.releaseAll();
    await sleep(20);
    assert.equal(second.done, true);
    assert.equal((await probe.requests({})).length, 3);
  });

  test('maxBatchDelayMs gathers rows from different ticks into one commit', async () => {
    const probe = new ProbeStore(memStore());
    const w = new LedgerWriter(probe, { maxBatchDelayMs: 100 });
    const a = w.record(row('d1'));
    await sleep(10);
    const b = w.record(row('d2'));
    await Promise.all([a, b]);
    assert.deepEqual(probe.calls, [2]);
  });

  test('a failing store is retried: nothing lost, nothing doubled, callers wait for the real commit', async () => {
    const probe = new ProbeStore(memStore());
    probe.plan = ['fail-before', 'fail-before'];
    const errors: unknown[] = [];
    const w = new LedgerWriter(probe, { onError: (e) => errors.push(e) });
    const early = Array.from({ length: 10 }, (_, i) => w.record(row(`e${i}`)));
    const tracked = early.map(track);
    await sleep(5);
    assert.ok(
      tracked.every((t) => !t.done),
      'not resolved after a failed commit',
    );
    const late = Array.from({ length: 5 }, (_, i) => w.record(row(`l${i}`)));
    await Promise.all([...early, ...late]);
    assert.equal(errors.length, 2);
    assert.ok(probe.calls.length >= 3);
    const stored = await probe.requests({ limit: 1000 });
    assert.equal(stored.length, 15);
    assert.equal(new Set(stored.map((r) => r.id)).size, 15);
  });

  test('a commit that wrote but reported failure is retried without double counting', async () => {
    const probe = new ProbeStore(memStore());
    probe.plan = ['fail-after'];
    const w = new LedgerWriter(probe, { onError: () => {} });
    await Promise.all(Array.from({ length: 10 }, (_, i) => w.record(row(`f${i}`, { costPico: 7 }))));
    assert.deepEqual(probe.calls, [10, 10], 'the same batch was sent twice');
    const [g] = await probe.usage({ by: 'customer' });
    assert.equal(g?.requests, 10);
    assert.equal(g?.costPico, 70n);
  });

  test('drain() waits for every recorded row', async () => {
    const probe = new ProbeStore(memStore());
    probe.plan = ['fail-before'];
    const w = new LedgerWriter(probe, { maxBatchDelayMs: 1000, onError: () => {} });
    for (let i = 0; i < 20; i++) void w.record(row(`dr${i}`));
    await w.drain();
    assert.equal((await probe.requests({ limit: 1000 })).length, 20);
  });

  test('one row the store can never accept does not block the other rows of its batch or later batches', async () => {
    const w = new LedgerWriter(memStore(), { onError: () => {} });
    void w.record(row('poison', { inputTokens: 1e300 }));
    const good = track(w.record(row('good')));
    await sleep(500);
    const later = track(w.record(row('later')));
    await sleep(500);
    assert.ok(good.done, 'the good row of the same batch committed');
    assert.ok(later.done, 'a later row committed');
  });

  test('drain() does not report success while rows are still uncommitted', async () => {
    const failing: LedgerStore = {
      append: async () => {
        throw new Error('down');
      },
      write: async () => {
        throw new Error('down');
      },
      requests: async () => [],
      usage: async () => [],
    };
    const w = new LedgerWriter(failing, { onError: () => {} });
    void w.record(row('stuck'));
    const outcome = await Promise.race([
      w.drain().then(
        () => 'resolved',
        () => 'rejected',
      ),
      sleep(300).then(() => 'still waiting'),
    ]);
    assert.notEqual(outcome, 'resolved');
  });
});

// ---- keys -----------------------------------------------------------------------------------------------

describe('SqliteStore: virtual keys', () => {
  const rec = (id: string, o: Partial<VirtualKeyRecord> = {}): VirtualKeyRecord => ({
    id,
    hash: `hash-${id}`,
    prefix: `mk_${id}`.slice(0, 10),
    kind: 'customer',
    customer: 'acme',
    name: null,
    createdAt: T0,
    revokedAt: null,
    ...o,
  });

  test('insert / find by hash / list / revoke by id or prefix', async () => {
    const s = memStore();
    const a = rec('key_a', { prefix: 'mk_AAAAAAA', createdAt: T0 + 1, name: 'prod' });
    const b = rec('key_b', { prefix: 'mk_BBBBBBB', createdAt: T0 + 2, customer: 'globex' });
    const c = rec('key_c', { prefix: 'mk_CCCCCCC', createdAt: T0 + 3, kind: 'app', customer: null });
    for (const k of [a, b, c]) await s.insertKey(k);
    assert.deepEqual(await s.findKeyByHash('hash-key_b'), b);
    assert.equal(await s.findKeyByHash('nope'), undefined);
    assert.deepEqual(await s.listKeys(), [a, b, c]);
    assert.deepEqual(await s.listKeys({ customer: 'acme' }), [a]);

    const revoked = await s.revokeKey('key_a', T0 + 100);
    assert.equal(revoked?.revokedAt, T0 + 100);
    assert.equal((await s.findKeyByHash('hash-key_a'))?.revokedAt, T0 + 100);
    assert.deepEqual(
      (await s.listKeys()).map((k) => k.id),
      ['key_b', 'key_c'],
      'revoked keys are hidden by default',
    );
    assert.deepEqual(
      (await s.listKeys({ includeRevoked: true })).map((k) => k.id),
      ['key_a', 'key_b', 'key_c'],
    );
    assert.equal((await s.revokeKey('mk_CCCCCCC', T0 + 200))?.id, 'key_c', 'by prefix');
    assert.equal((await s.revokeKey('key_a', T0 + 999))?.revokedAt, T0 + 100, 'first revocation time kept');
    assert.equal(await s.revokeKey('key_zzz', T0), undefined);
  });

  test('two keys can never share a hash', async () => {
    const s = memStore();
    await s.insertKey(rec('key_1', { hash: 'same' }));
    await assert.rejects(s.insertKey(rec('key_2', { hash: 'same' })));
  });

  test('createVirtualKey stores only the SHA-256 of the key and a short prefix', async () => {
    const s = memStore();
    const { key, record } = await createVirtualKey(s, { customer: 'acme', name: 'ci', now: T0 });
    assert.match(key, /^mk_[A-Za-z0-9_-]{40}$/);
    assert.equal(record.hash, hashKey(key));
    assert.match(record.hash, /^[0-9a-f]{64}$/);
    assert.equal(record.prefix, key.slice(0, 10));
    assert.ok(!JSON.stringify(record).includes(key));
    assert.deepEqual(await s.findKeyByHash(hashKey(key)), record);
    await assert.rejects(createVirtualKey(s, { now: T0 }), /customer/);
    await assert.rejects(createVirtualKey(s, { customer: 'has space', now: T0 }), /customer/);
    const app = await createVirtualKey(s, { kind: 'app', now: T0 });
    assert.equal(app.record.customer, null);
  });
});

// ---- crash durability -----------------------------------------------------------------------------------

describe('crash durability: an answered request is in the ledger even if the gateway is SIGKILLed', () => {
  const UP = 'sk-upstream-crash-test';
  let standin: Standin;
  let db: string;
  let key: string;
  /** Ids of every request answered so far: all must survive every kill and restart. */
  const answered: string[] = [];

  before(async () => {
    standin = await startStandin({ port: 0 });
    db = join(tmp(), 'ledger.db');
    const created = await runCli(['keys', 'create', '--customer', 'acme', '--db', db]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^mk_[A-Za-z0-9_-]+\n$/, 'keys create prints only the key');
    key = created.stdout.trim();
  });
  after(() => standin.close());

  /** A fresh `margin serve` process on the shared ledger file (restarting after a SIGKILL is part of it). */
  async function serve() {
    const proc = await startServe(['--db', db], {
      MARGIN_UPSTREAM_OPENAI_URL: `${standin.url}/v1`,
      OPENAI_API_KEY: UP,
    });
    const openai = new OpenAI({ apiKey: key, baseURL: `${proc.url}/v1`, maxRetries: 0 });
    return { proc, openai };
  }

  /**
   * The row of an answered request, once a restarted gateway has replayed the request journal into the
   * ledger: the answer was released after the row reached the journal, not necessarily SQLite.
   */
  async function recoveredRow(id: string | null) {
    const { proc } = await serve();
    try {
      return await eventually(async () => {
        const r = rowById(id);
        if (!r) throw new Error(`no row ${id}`);
        return r;
      }, 15_000);
    } finally {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  }

  function rowById(id: string | null) {
    const d = new Database(db);
    try {
      return d.prepare('SELECT * FROM requests WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    } finally {
      d.close();
    }
  }

  test('JSON response: SIGKILL the moment its headers arrive', async () => {
    const { proc, openai } = await serve();
    try {
      standin.enqueue({
        kind: 'reply',
        usage: { inputTokens: 1234, cachedTokens: 200, outputTokens: 56, reasoningTokens: 7 },
      });
      const res = await openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
        .asResponse();
      proc.child.kill('SIGKILL');
      assert.equal(res.status, 200);
      answered.push(res.headers.get('x-margin-request-id') ?? '');
      const { signal } = await proc.exited;
      assert.equal(signal, 'SIGKILL', 'the server was killed, not shut down');
      assert.equal(standin.requests.at(-1)?.headers.authorization, `Bearer ${UP}`);

      const r = await recoveredRow(res.headers.get('x-margin-request-id'));
      assert.ok(r, 'the answered request has its ledger row');
      assert.equal(r.customer, 'acme');
      assert.equal(r.model_requested, 'gpt-4o-mini');
      assert.equal(r.input_tokens, 1234 - 200);
      assert.equal(r.cache_read_tokens, 200);
      assert.equal(r.output_tokens, 56);
      assert.equal(r.reasoning_tokens, 7);
      assert.equal(r.status, 200);
      assert.equal(r.streamed, 0);
      assert.equal(
        BigInt(r.cost_pico as number),
        expectedPico('openai', 'gpt-4o-mini', { input: 1034, cacheRead: 200, output: 56 }),
      );
    } finally {
      proc.child.kill('SIGKILL');
    }
  });

  test('stream: SIGKILL the moment the final usage chunk arrives', async () => {
    const { proc, openai } = await serve();
    try {
      standin.enqueue({ kind: 'reply', usage: { inputTokens: 900, outputTokens: 33 } });
      const { data: stream, response } = await openai.chat.completions
        .create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'hi' }],
          stream: true,
          stream_options: { include_usage: true },
        })
        .withResponse();
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        if (chunk.usage) {
          usage = chunk.usage;
          proc.child.kill('SIGKILL');
          break;
        }
      }
      assert.deepEqual([usage?.prompt_tokens, usage?.completion_tokens], [900, 33]);
      answered.push(response.headers.get('x-margin-request-id') ?? '');
      await proc.exited;
      const r = await recoveredRow(response.headers.get('x-margin-request-id'));
      assert.ok(r, 'the streamed request has its ledger row');
      assert.equal(r.streamed, 1);
      assert.equal(r.input_tokens, 900);
      assert.equal(r.output_tokens, 33);
      assert.equal(r.estimated, 0);
      assert.equal(r.status, 200);
      assert.equal(
        BigInt(r.cost_pico as number),
        expectedPico('openai', 'gpt-4o-mini', { input: 900, output: 33 }),
      );
      for (const id of answered) assert.ok(rowById(id), `${id} survived every kill and restart`);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});
