// Plan history and the customer import (issue 8, item 1): every plan or MRR change through set-plan, the
// admin API or `margin customers import` closes the open span and opens a new one; the migration
// backfills one span per existing customer; bad CSV rows are named by line and field, nothing imported.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { parse as parseYaml } from 'yaml';
import { MIGRATIONS } from '../src/ledger/sqlite/migrations.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import { parsePlans } from '../src/limits/plans-file.js';
import { runCli } from './helpers/cli.js';
import { ADMIN_KEY, type Harness, startHarness } from './helpers/harness.js';
import { applyPlans } from './helpers/limits.js';

const dir = mkdtempSync(join(tmpdir(), 'margin-customers-'));
const T = (iso: string) => Date.parse(iso);
const PLANS = 'plans:\n  pro:\n    priceUsd: 49\n  scale:\n    priceUsd: 199\n  payg:\n    priceUsd: 0\n';

interface HistoryRow {
  customer: string;
  plan: string | null;
  mrr_pico: number | null;
  from_ts: number;
  to_ts: number | null;
}

/** The plan-history table straight from the file, in a stable order. */
function history(db: string): HistoryRow[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT * FROM customer_plan_history ORDER BY customer, from_ts').all() as HistoryRow[];
  } finally {
    d.close();
  }
}
const revision = (db: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(`SELECT v FROM control WHERE k = 'revision'`).pluck().get() as number;
  } finally {
    d.close();
  }
};

/** A ledger with the plans applied (setup, not under test: straight through the store). */
async function freshDb(name: string): Promise<string> {
  const db = join(dir, `${name}.db`);
  await withStore(db, (store) => store.control.upsertPlans(parsePlans(parseYaml(PLANS)), Date.now()));
  return db;
}

async function withStore<T>(db: string, fn: (s: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('plan history migration', () => {
  test('backfills one open span per existing customer from created_at, with its current plan', async () => {
    const db = join(dir, 'old.db');
    const d = new Database(db);
    for (const m of MIGRATIONS.slice(0, 2)) d.exec(m);
    d.pragma('user_version = 2');
    d.prepare(`INSERT INTO plans VALUES ('pro', '{"priceUsd":"49"}', 1)`).run();
    d.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)').run('acme', 'pro', 5, null, 1000, 2000);
    d.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)').run('bolt', null, 1, null, 3000, 3000);
    d.close();
    const store = new SqliteStore(db);
    try {
      assert.deepEqual(await store.control.planHistory(0, 10_000), [
        { customer: 'acme', plan: 'pro', mrrPico: null, from: 1000, to: null },
        { customer: 'bolt', plan: null, mrrPico: null, from: 3000, to: null },
      ]);
      assert.equal((await store.control.getCustomer('acme'))?.mrrUsd, null);
    } finally {
      await store.close();
    }
  });
});

describe('margin customers set-plan --mrr --since', () => {
  test('each plan or MRR change closes the open span and opens one; list and show print the MRR', async () => {
    const db = await freshDb('set-plan');
    const set = (...args: string[]) => runCli(['customers', 'set-plan', ...args, '--db', db]);
    assert.equal((await set('acme', 'pro', '--since', '2026-01-10')).code, 0);
    const mrr = await set('acme', 'scale', '--mrr', '120.5', '--since', String(T('2026-02-15T00:00:00Z')));
    assert.equal(mrr.code, 0, mrr.stderr);
    assert.match(mrr.stderr, /plan scale, MRR \$120\.5/);
    // Neither plan nor MRR changes: no new span.
    assert.equal((await set('acme', 'scale', '--cycle-day', '3')).code, 0);
    assert.deepEqual(history(db), [
      { customer: 'acme', plan: 'pro', mrr_pico: null, from_ts: T('2026-01-10'), to_ts: T('2026-02-15') },
      {
        customer: 'acme',
        plan: 'scale',
        mrr_pico: 120_500_000_000_000,
        from_ts: T('2026-02-15'),
        to_ts: null,
      },
    ]);
    const list = await runCli(['customers', 'list', '--db', db]);
    assert.match(list.stdout, /mrr_usd/);
    assert.match(list.stdout, /acme\s+scale\s+120\.5\s+3\s+acme/);
    assert.equal((await withStore(db, (st) => st.control.getCustomer('acme')))?.mrrUsd, '120.5');
    const show = JSON.parse((await runCli(['customers', 'show', 'acme', '--db', db])).stdout) as {
      mrr_usd: string | null;
    };
    assert.equal(show.mrr_usd, '120.5');

    // A plan change without --mrr goes back to the plan's price, from now.
    const before = Date.now();
    assert.equal((await set('acme', 'pro')).code, 0);
    const h = history(db);
    assert.equal(h.length, 3);
    const [, closed, open] = h;
    assert.ok(closed?.to_ts !== null && (closed?.to_ts ?? 0) >= before, 'the MRR span closes now');
    assert.deepEqual(
      [open?.plan, open?.mrr_pico, open?.from_ts, open?.to_ts],
      ['pro', null, closed?.to_ts, null],
    );

    // A backdated change replaces what followed it.
    assert.equal((await set('acme', 'scale', '--mrr', '99', '--since', '2026-03-01')).code, 0);
    assert.deepEqual(
      history(db).map((r) => [r.plan, r.mrr_pico, r.from_ts, r.to_ts]),
      [
        ['pro', null, T('2026-01-10'), T('2026-02-15')],
        ['scale', 120_500_000_000_000, T('2026-02-15'), T('2026-03-01')],
        ['scale', 99_000_000_000_000, T('2026-03-01'), null],
      ],
    );
  });

  test('bad --mrr and --since are refused naming the flag, and change nothing', async () => {
    const db = await freshDb('set-plan-bad');
    for (const [args, re] of [
      [['--mrr', '1e3'], /^margin: --mrr: must be a non-negative decimal/],
      [['--since', 'soon'], /^margin: --since: not a date\/time/],
      [['--since', '2999-01-01'], /^margin: --since: must not be in the future/],
    ] as [string[], RegExp][]) {
      const r = await runCli(['customers', 'set-plan', 'acme', 'pro', ...args, '--db', db]);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, re);
    }
    assert.deepEqual(history(db), []);
  });
});

describe('admin API: customer upsert with mrr_usd and since', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    await applyPlans(h, { pro: { priceUsd: 49 }, scale: { priceUsd: 199 } });
  });
  after(() => h.close());
  const put = (id: string, body: unknown) =>
    fetch(`${h.gateway.url}/admin/v1/customers/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  test('writes history spans; GET shows the MRR and the history', async () => {
    const r = await put('zed', { plan: 'pro', mrr_usd: '120', since: '2026-01-10T00:00:00Z' });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(((await r.json()) as { mrrUsd: string }).mrrUsd, '120');
    // A number is accepted too; null clears the MRR (back to the plan's price).
    assert.equal((await put('zed', { mrr_usd: 150, since: T('2026-02-01T00:00:00Z') })).status, 200);
    assert.equal((await put('zed', { mrr_usd: null, since: '2026-03-01' })).status, 200);
    const got = (await (
      await fetch(`${h.gateway.url}/admin/v1/customers/zed`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      })
    ).json()) as {
      mrrUsd: string | null;
      plan_history: { plan: string; mrr_usd: string | null; from: string; to: string | null }[];
    };
    assert.equal(got.mrrUsd, null);
    assert.deepEqual(got.plan_history, [
      { plan: 'pro', mrr_usd: '120', from: '2026-01-10T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
      { plan: 'pro', mrr_usd: '150', from: '2026-02-01T00:00:00.000Z', to: '2026-03-01T00:00:00.000Z' },
      { plan: 'pro', mrr_usd: null, from: '2026-03-01T00:00:00.000Z', to: null },
    ]);
    assert.deepEqual(
      history(h.db)
        .filter((r) => r.customer === 'zed')
        .map((r) => r.mrr_pico),
      [120_000_000_000_000, 150_000_000_000_000, null],
    );
  });

  test('bad mrr_usd and since: 400 naming the field, nothing written', async () => {
    for (const [body, re] of [
      [{ plan: 'pro', mrr_usd: 'abc' }, /^mrr_usd: must be a non-negative decimal/],
      [{ plan: 'pro', mrr_usd: -3 }, /^mrr_usd: /],
      [{ plan: 'pro', mrr_usd: '1000000' }, /^mrr_usd: must be below 1000000 USD/],
      [{ plan: 'pro', mrr_usd: { usd: 3 } }, /^mrr_usd: /],
      [{ plan: 'pro', since: 'last tuesday' }, /^since: not a date\/time/],
      [{ plan: 'pro', since: [1] }, /^since: must be an ISO-8601/],
      [{ plan: 'pro', since: '2999-01-01' }, /^since: must not be in the future/],
    ] as [object, RegExp][]) {
      const r = await put('yak', body);
      const j = (await r.json()) as { error: { message: string } };
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(j.error.message, re);
    }
    assert.equal(history(h.db).filter((r) => r.customer === 'yak').length, 0);
  });
});

describe('margin customers import', () => {
  test('bad rows are reported as FILE:LINE: field: problem, and nothing is imported', async () => {
    const db = await freshDb('import-bad');
    const csv = join(dir, 'bad.csv');
    writeFileSync(
      csv,
      [
        'customer, plan, mrr, since',
        'good,pro,,2026-01-01',
        'bad id,pro,,',
        'dup,nope,,',
        '',
        'x1,pro,abc,',
        'x2,pro,,tomorrow',
        'good,scale,,',
        'x3,pro,1,2026-01-01,extra',
        'x4,pro,,2999-01-01',
        ',pro,,',
      ].join('\n'),
    );
    const r = await runCli(['customers', 'import', csv, '--db', db]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.stderr.trim().split('\n'), [
      `${csv}:3: customer: must start with a letter or digit and be 1–128 characters of letters, digits and . _ : @ - (got "bad id")`,
      `${csv}:4: plan: no plan named "nope" (apply plans.yaml first; empty = no plan)`,
      `${csv}:6: mrr: must be a non-negative decimal number of USD with at most 12 decimals, or none (got "abc")`,
      `${csv}:7: since: not a date/time (use ISO-8601, e.g. 2026-11-01, or epoch ms)`,
      `${csv}:8: customer: "good" appears again (first on line 2)`,
      `${csv}:9: row: has 5 fields, the header 4`,
      `${csv}:10: since: must not be in the future (got 2999-01-01T00:00:00.000Z)`,
      `${csv}:11: customer: required`,
      `margin: ${csv}: 8 bad row(s); nothing imported`,
    ]);
    assert.deepEqual(history(db), []);
    const list = await withStore(db, (st) => st.control.listCustomers());
    assert.deepEqual(list, [], 'the good row was not imported either');

    const header = join(dir, 'bad-header.csv');
    writeFileSync(header, 'customer,tier\nacme,pro\n');
    const h = await runCli(['customers', 'import', header, '--db', db]);
    assert.equal(h.code, 1);
    assert.match(h.stderr, new RegExp(`^${header}:1: header: unknown column "tier"`));
  });

  test('imports thousands in one transaction; --dry-run changes nothing; re-import changes nothing', async () => {
    const db = await freshDb('import-good');
    // One customer exists already, on pro at its price.
    await withStore(db, (st) => st.control.setCustomer({ id: 'c0001', plan: 'pro' }, Date.now()));
    const rows = ['customer,plan,mrr,since'];
    const n = 3000;
    for (let i = 1; i <= n; i++) {
      const id = `c${String(i).padStart(4, '0')}`;
      // every 3rd: no plan; every 5th: an MRR; every 7th: a start date
      const plan = i % 3 === 0 ? '' : i % 2 === 0 ? 'scale' : 'pro';
      const mrr = i % 5 === 0 ? `${i}.25` : '';
      const since = i % 7 === 0 ? '2026-01-15' : '';
      rows.push(`${id},${plan},${mrr},${since}`);
    }
    const csv = join(dir, 'customers.csv');
    writeFileSync(csv, `${rows.join('\r\n')}\r\n`);
    const rev0 = revision(db);

    const dry = await runCli(['customers', 'import', csv, '--dry-run', '--db', db]);
    assert.equal(dry.code, 0, dry.stderr);
    // c0001 (pro, no MRR, no since) matches what it has: unchanged.
    assert.match(
      dry.stdout,
      /3000 row\(s\); dry run, nothing changed: would create 2999, change 0, unchanged 1/,
    );
    assert.equal(history(db).length, 1);
    assert.equal(revision(db), rev0);

    const first = await runCli(['customers', 'import', csv, '--db', db]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /created 2999, changed 0, unchanged 1/);
    const h1 = history(db);
    assert.equal(h1.length, n, 'one span per customer');
    const c35 = h1.find((r) => r.customer === 'c0035'); // 35: 5th and 7th, not 3rd; odd → pro
    assert.deepEqual(
      [c35?.plan, c35?.mrr_pico, c35?.from_ts, c35?.to_ts],
      ['pro', 35_250_000_000_000, T('2026-01-15'), null],
    );
    const c0003 = h1.find((r) => r.customer === 'c0003');
    assert.deepEqual([c0003?.plan, c0003?.mrr_pico], [null, null]);
    const list = await withStore(db, (st) => st.control.listCustomers());
    assert.equal(list.length, n);
    const c10 = list.find((c) => c.id === 'c0010');
    assert.deepEqual([c10?.plan, c10?.mrrUsd, c10?.cycleDay], ['scale', '10.25', new Date().getUTCDate()]);
    // A new customer with a start date has its billing cycle anchored on that day.
    assert.equal(list.find((c) => c.id === 'c0035')?.cycleDay, 15);

    const rev1 = revision(db);
    const again = await runCli(['customers', 'import', csv, '--db', db]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /created 0, changed 0, unchanged 3000/);
    assert.deepEqual(history(db), h1, 'the same history, row for row');
    assert.equal(revision(db), rev1, 'nothing written, so gateways reload nothing');

    // One row changes plan: its open span closes now and a new one opens; the rest stay as they were.
    const changed = join(dir, 'changed.csv');
    writeFileSync(changed, 'customer,plan\nc0002,pro\nc0004,scale\n');
    const before = Date.now();
    const third = await runCli(['customers', 'import', changed, '--db', db]);
    assert.match(third.stdout, /2 row\(s\); created 0, changed 1, unchanged 1/);
    const c2 = history(db).filter((r) => r.customer === 'c0002');
    assert.equal(c2.length, 2);
    assert.equal(c2[0]?.plan, 'scale');
    assert.ok((c2[0]?.to_ts ?? 0) >= before);
    assert.deepEqual([c2[1]?.plan, c2[1]?.from_ts, c2[1]?.to_ts], ['pro', c2[0]?.to_ts, null]);
  });
});
