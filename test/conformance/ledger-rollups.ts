// Conformance: rollups, pruning and the economics reader, for any storage backend. Export `tests(make)`;
// each backend's test file runs it. Every expected figure comes from an aggregation written here over the
// raw rows the test generated, never from the code under test.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { groupHistory } from '../../src/economics/history-groups.js';
import type { SpendGrain, UsageSums } from '../../src/economics/reader.js';
import { spendRows } from '../../src/economics/spend-table.js';
import type { LedgerRow, UsageDimension, UsageGroup } from '../../src/ledger/types.js';
import type { Storage } from '../../src/storage/open.js';
import { sums } from '../helpers/memory-economics-reader.js';

const DAY = 86_400_000;

/** A small seeded PRNG (mulberry32), so a failure is reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Times near day, month and year boundaries (UTC), so a row one millisecond either side lands right.
const ANCHORS = [
  '2025-12-31T23:59:59.999Z',
  '2026-01-01T00:00:00.000Z',
  '2026-01-31T23:30:00Z',
  '2026-02-01T00:00:00.001Z',
  '2026-02-28T23:59:59.999Z',
  '2026-03-01T00:00:00Z',
  '2026-03-15T12:00:00Z',
].map(Date.parse);
const CUSTOMERS = ['acme', 'globex', 'initech', 'umbrella'];
const FEATURES = ['chat', 'search', 'default'];
const MODELS: [string, string, string | null][] = [
  ['openai', 'gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
  ['openai', 'gpt-4o', null],
  ['anthropic', 'claude-3-5-haiku', 'claude-3-5-haiku-20241022'],
  ['groq', 'groq/llama', null],
];
const TAGS = ['beta', 'team:search', 'exp/42', 'a@b', 'x.y-z'];

/** Random ledger rows: duplicates (same id, other content), NULL costs, cache hits, errors, tags, empty calls. */
export function randomRows(seed: number, n: number): LedgerRow[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const rows: LedgerRow[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && r() < 0.08) {
      // A duplicate id: whichever copy the ledger took first is the row; the other adds nothing.
      const orig = pick(rows);
      rows.push({ ...orig, costPico: (orig.costPico ?? 0) + 999, inputTokens: orig.inputTokens + 7 });
      continue;
    }
    const [provider, requested, served] = pick(MODELS);
    const unpriced = r() < 0.1;
    const cacheHit = r() < 0.1;
    const empty = r() < 0.1;
    const tok = (max: number) => (empty ? 0 : Math.floor(r() * max));
    const tags = TAGS.filter(() => r() < 0.3);
    rows.push({
      id: `req_${seed}_${i.toString().padStart(5, '0')}`,
      ts: pick(ANCHORS) + Math.floor((r() - 0.5) * 4 * 3_600_000),
      customer: pick(CUSTOMERS),
      keyId: 'key_1',
      feature: pick(FEATURES),
      provider,
      protocol: provider === 'anthropic' ? 'anthropic' : 'openai',
      modelRequested: requested,
      modelServed: r() < 0.7 ? served : null,
      modelRouted: null,
      inputTokens: tok(5000),
      outputTokens: tok(2000),
      reasoningTokens: 0,
      cacheWrite5mTokens: r() < 0.2 ? tok(1000) : 0,
      cacheWrite1hTokens: r() < 0.1 ? tok(1000) : 0,
      cacheReadTokens: r() < 0.3 ? tok(3000) : 0,
      // Some costs past 2^32 so sums must not pass through 32-bit or float arithmetic.
      costPico: unpriced ? null : Math.floor(r() * 2 ** 40),
      unpriced,
      estimated: r() < 0.1,
      cacheHit,
      status: pick([200, 200, 200, 200, 400, 429, 499, 529]),
      errorCode: null,
      latencyMs: 10,
      ttftMs: null,
      streamed: false,
      ...(tags.length ? { tags } : {}),
    });
  }
  return rows;
}

/** The rows the ledger keeps: the first of each id. */
export function firstOfEachId(rows: readonly LedgerRow[]): LedgerRow[] {
  const seen = new Map<string, LedgerRow>();
  for (const row of rows) if (!seen.has(row.id)) seen.set(row.id, row);
  return [...seen.values()];
}

// ---- the independent aggregation ---------------------------------------------------------------------

const dayOf = (ts: number) => ts - (((ts % DAY) + DAY) % DAY);
const monthOf = (ts: number) => Date.parse(`${new Date(ts).toISOString().slice(0, 7)}-01T00:00:00Z`);

function addRow(s: UsageSums, r: LedgerRow): void {
  const writes = r.cacheWrite5mTokens + r.cacheWrite1hTokens;
  const allInput = r.inputTokens + r.cacheReadTokens + writes;
  s.requests += 1;
  if (allInput + r.outputTokens > 0) s.usedRequests += 1;
  s.inputTokens += r.inputTokens;
  s.outputTokens += r.outputTokens;
  s.cacheReadTokens += r.cacheReadTokens;
  s.cacheWriteTokens += writes;
  if (r.cacheHit) {
    s.cacheHitRequests += 1;
    s.cacheHitInputTokens += allInput;
  }
  if (r.costPico === null) s.unpricedRequests += 1;
  else s.costPico += BigInt(r.costPico);
  if (r.estimated) s.estimatedRequests += 1;
  if (r.status >= 400) s.errorRequests += 1;
}

/** Groups rows by `key` into sums; returns them sorted by key (the fields of the key kept alongside). */
export function aggregate<K extends Record<string, string | number>>(
  rows: readonly LedgerRow[],
  keysOf: (r: LedgerRow) => K[],
): (K & UsageSums)[] {
  const m = new Map<string, K & UsageSums>();
  for (const r of rows)
    for (const k of keysOf(r)) {
      const id = JSON.stringify(k);
      const g = m.get(id) ?? { ...k, ...sums({}) };
      m.set(id, g);
      addRow(g, r);
    }
  return [...m.values()];
}

const modelOf = (r: LedgerRow) => r.modelServed ?? r.modelRequested;

export function expected(rows: readonly LedgerRow[]) {
  const byKeys = <T extends object>(xs: T[], keys: (keyof T)[]) =>
    xs.sort((a, b) => {
      for (const k of keys) {
        const x = a[k] as string | number;
        const y = b[k] as string | number;
        if (x !== y) return x < y ? -1 : 1;
      }
      return 0;
    });
  return {
    detail: byKeys(
      aggregate(rows, (r) => [
        {
          customer: r.customer,
          day: dayOf(r.ts),
          feature: r.feature,
          model: modelOf(r),
          provider: r.provider,
        },
      ]),
      ['customer', 'day', 'feature', 'model', 'provider'],
    ),
    customerDays: byKeys(
      aggregate(rows, (r) => [{ customer: r.customer, day: dayOf(r.ts) }]),
      ['customer', 'day'],
    ),
    months: byKeys(
      aggregate(rows, (r) => [{ customer: r.customer, month: monthOf(r.ts) }]),
      ['customer', 'month'],
    ),
    // ISO weeks: counted here from the calendar date (Monday = getUTCDay() 1), not from day arithmetic.
    weeks: byKeys(
      aggregate(rows, (r) => {
        const d = new Date(dayOf(r.ts));
        const back = (d.getUTCDay() + 6) % 7;
        return [
          {
            customer: r.customer,
            week: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back),
          },
        ];
      }),
      ['customer', 'week'],
    ),
    dims: byKeys(
      aggregate(rows, (r) => [
        { day: dayOf(r.ts), feature: r.feature, model: modelOf(r), provider: r.provider },
      ]),
      ['day', 'feature', 'model', 'provider'],
    ),
    tags: byKeys(
      aggregate(rows, (r) => (r.tags ?? []).map((tag) => ({ day: dayOf(r.ts), tag }))),
      ['day', 'tag'],
    ),
  };
}

/** `usage()` as summing raw rows would give it (the ledger's documented grouping and order). */
export function expectedUsage(
  rows: readonly LedgerRow[],
  q: { by: UsageDimension; customer?: string; from?: number; to?: number },
): UsageGroup[] {
  const keyOf: Record<UsageDimension, (r: LedgerRow) => string> = {
    customer: (r) => r.customer,
    feature: (r) => r.feature,
    model: modelOf,
    provider: (r) => r.provider,
    day: (r) => new Date(r.ts).toISOString().slice(0, 10),
  };
  const inRange = rows.filter(
    (r) =>
      (q.customer === undefined || r.customer === q.customer) &&
      (q.from === undefined || r.ts >= q.from) &&
      (q.to === undefined || r.ts < q.to),
  );
  return aggregate(inRange, (r) => [{ key: keyOf[q.by](r) }])
    .map((g) => ({
      key: g.key,
      requests: g.requests,
      inputTokens: g.inputTokens,
      outputTokens: g.outputTokens,
      cacheWriteTokens: g.cacheWriteTokens,
      cacheReadTokens: g.cacheReadTokens,
      costPico: g.costPico,
      unpricedRequests: g.unpricedRequests,
      estimatedRequests: g.estimatedRequests,
      errorRequests: g.errorRequests,
    }))
    .sort((a, b) =>
      a.costPico === b.costPico ? (a.key < b.key ? -1 : 1) : a.costPico > b.costPico ? -1 : 1,
    );
}

/** Budget reads (control store) as raw rows give them. */
export function expectedByFeature(
  rows: readonly LedgerRow[],
  customer: string,
  from: number,
  to: number,
  exclude: readonly string[] = [],
) {
  const inRange = rows.filter(
    (r) => r.customer === customer && r.ts >= from && r.ts < to && !exclude.includes(r.id),
  );
  return aggregate(inRange, (r) => [{ feature: r.feature }])
    .map((g) => ({
      feature: g.feature,
      costPico: g.costPico,
      tokens: BigInt(g.inputTokens + g.outputTokens + g.cacheReadTokens + g.cacheWriteTokens),
      runs: BigInt(g.usedRequests),
    }))
    .sort((a, b) => (a.feature < b.feature ? -1 : 1));
}

export function expectedByDay(rows: readonly LedgerRow[], customer: string, from: number, to: number) {
  const inRange = rows.filter((r) => r.customer === customer && r.ts >= from && r.ts < to);
  return aggregate(inRange, (r) => [{ day: dayOf(r.ts) }])
    .map((g) => ({
      day: g.day,
      costPico: g.costPico,
      tokens: BigInt(g.inputTokens + g.outputTokens + g.cacheReadTokens + g.cacheWriteTokens),
      runs: BigInt(g.usedRequests),
    }))
    .sort((a, b) => a.day - b.day);
}

// ---- the suite -----------------------------------------------------------------------------------------

const FROM = Date.parse('2025-01-01T00:00:00Z');
const TO = Date.parse('2027-01-01T00:00:00Z');
/** The prune horizon the tests use: everything before 2026-02-01 goes. */
const HORIZON = Date.parse('2026-02-01T00:00:00Z');

async function appendInBatches(s: Storage, rows: readonly LedgerRow[], size = 37): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await s.store.append(rows.slice(i, i + size));
}

/** Everything the economics reader says over the whole test period. */
async function readAll(s: Storage) {
  const e = s.economics;
  return {
    detail: await e.customerDetailDays(FROM, TO),
    customerDays: await e.customerDays(FROM, TO),
    months: await e.customerMonths(FROM, TO),
    weeks: (await e.customerWeeks(FROM - 7 * 86_400_000, TO)).sort((a, b) =>
      a.customer === b.customer ? a.week - b.week : a.customer < b.customer ? -1 : 1,
    ),
    dims: await e.dimensionDays(FROM, TO),
    tags: await e.tagDays(FROM, TO),
  };
}

/** Figures budgets and reports read, for comparing before and after pruning. */
async function figures(s: Storage) {
  const out: Record<string, unknown> = { reader: await readAll(s) };
  for (const by of ['customer', 'feature', 'model', 'provider', 'day'] as UsageDimension[]) {
    out[`usage:${by}`] = await s.store.usage({ by });
    out[`usage:${by}:acme:jan`] = await s.store.usage({
      by,
      customer: 'acme',
      from: Date.parse('2026-01-01T00:00:00Z'),
      to: Date.parse('2026-03-01T00:00:00Z'),
    });
  }
  for (const c of CUSTOMERS) {
    out[`feature:${c}`] = await s.store.control.usageByFeature(c, FROM, TO, []);
    out[`day:${c}`] = await s.store.control.usageByDay(c, FROM, TO);
  }
  return out;
}

const byFeature = <T extends { feature: string }>(xs: T[]) =>
  [...xs].sort((a, b) => (a.feature < b.feature ? -1 : 1));

export function tests(name: string, make: () => Promise<Storage>): void {
  describe(`ledger rollups: ${name}`, () => {
    const open: Storage[] = [];
    const fresh = async () => {
      const s = await make();
      open.push(s);
      return s;
    };
    after(async () => {
      for (const s of open) await s.close();
    });

    test('every rollup equals the sums of the raw rows, after duplicates, NULL costs, cache hits and tags', async () => {
      const s = await fresh();
      const rows = randomRows(1, 600);
      await appendInBatches(s, rows);
      // The same rows again, in other batches: nothing is counted twice.
      await appendInBatches(s, rows.slice(100, 300), 50);
      const want = expected(firstOfEachId(rows));
      assert.ok(want.tags.length > 5 && want.months.length >= 8, 'the generated data covers tags and months');
      assert.deepEqual(await readAll(s), want);
    });

    test('customerSpend is the cost and call counts of the month, week and day sums, filtered by customer', async () => {
      const s = await fresh();
      const rows = randomRows(5, 500);
      await appendInBatches(s, rows);
      const want = expected(firstOfEachId(rows));
      const lean = (
        xs: readonly (Pick<UsageSums, 'costPico' | 'requests' | 'usedRequests'> & { customer: string })[],
        key: (x: never) => number,
      ) =>
        xs
          .map((x) => ({
            customer: x.customer,
            key: key(x as never),
            costPico: x.costPico,
            requests: x.requests,
            usedRequests: x.usedRequests,
          }))
          .sort((a, b) => (a.customer === b.customer ? a.key - b.key : a.customer < b.customer ? -1 : 1));
      const read = async (grain: SpendGrain, customers?: string[]) =>
        lean(
          spendRows(await s.economics.customerSpend(grain, FROM - 7 * 86_400_000, TO, customers)),
          (x: { key: number }) => x.key,
        );
      assert.deepEqual(
        await read('month'),
        lean(want.months, (m: { month: number }) => m.month),
      );
      assert.deepEqual(
        await read('week'),
        lean(want.weeks, (w: { week: number }) => w.week),
      );
      assert.deepEqual(
        await read('day'),
        lean(want.customerDays, (d: { day: number }) => d.day),
      );
      const some = [...new Set(rows.map((r) => r.customer))].slice(0, 2);
      const only = (await read('day', some)).map((d) => d.customer);
      assert.ok(
        only.length > 0 && only.every((c) => some.includes(c)),
        'the customer filter keeps only those',
      );
      assert.deepEqual(
        await s.economics.customerMonths(FROM, TO, some),
        want.months.filter((m) => some.includes(m.customer)),
      );
    });

    test('usage() and the budget reads equal summing raw rows, whole days and ragged ranges alike', async () => {
      const s = await fresh();
      const rows = randomRows(2, 400);
      await appendInBatches(s, rows);
      const kept = firstOfEachId(rows);
      const ranges: [number | undefined, number | undefined][] = [
        [undefined, undefined],
        [Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-02-01T00:00:00Z')],
        [Date.parse('2026-01-31T22:15:00Z'), Date.parse('2026-02-01T00:30:00Z')],
        [Date.parse('2026-01-01T07:00:00Z'), undefined],
        [undefined, Date.parse('2026-03-01T05:00:00Z')],
        [Date.parse('2026-02-28T01:00:00Z'), Date.parse('2026-02-28T02:00:00Z')],
      ];
      for (const [from, to] of ranges)
        for (const by of ['customer', 'feature', 'model', 'provider', 'day'] as UsageDimension[]) {
          assert.deepEqual(
            await s.store.usage({ by, from, to }),
            expectedUsage(kept, { by, from, to }),
            `${by} ${from} ${to}`,
          );
          const q = { by, from, to, customer: 'globex' };
          assert.deepEqual(await s.store.usage(q), expectedUsage(kept, q), `globex ${by} ${from} ${to}`);
        }
      const exclude = kept
        .filter((r) => r.customer === 'acme')
        .slice(0, 5)
        .map((r) => r.id);
      for (const [from, to] of ranges) {
        const f = from ?? FROM;
        const t = to ?? TO;
        assert.deepEqual(
          byFeature(await s.store.control.usageByFeature('acme', f, t, exclude)),
          expectedByFeature(kept, 'acme', f, t, exclude),
        );
        assert.deepEqual(await s.store.control.usageByDay('acme', f, t), expectedByDay(kept, 'acme', f, t));
      }
    });

    test('rebuild recomputes the same rollups as the incremental upkeep', async () => {
      const s = await fresh();
      await appendInBatches(s, randomRows(3, 500));
      const incremental = await readAll(s);
      assert.deepEqual((await s.retention.rebuildRollups()).horizon, 0);
      assert.deepEqual(await readAll(s), incremental);
    });

    test('pruning changes no figure; pruned ids never come back; rebuild keeps the pruned days', async () => {
      const s = await fresh();
      const rows = randomRows(4, 500);
      await appendInBatches(s, rows);
      const kept = firstOfEachId(rows);
      const before = await figures(s);
      const old = kept.filter((r) => r.ts < HORIZON);
      assert.ok(old.length > 50 && old.length < kept.length, 'some rows are before the horizon, some after');

      // A horizon inside a day is floored to its 00:00 UTC.
      const pruned = await s.retention.prune(HORIZON + 5 * 3_600_000);
      assert.deepEqual(pruned, { horizon: HORIZON, deleted: old.length });
      assert.equal((await s.store.requests({ limit: 1000 })).length, kept.length - old.length);
      assert.deepEqual(await figures(s), before);
      // The span still starts on the first day, now known by its rollups only.
      assert.deepEqual(await s.economics.span(), {
        first: dayOf(Math.min(...old.map((r) => r.ts))),
        last: Math.max(...kept.map((r) => r.ts)),
      });

      // Re-inserting (or re-importing) pruned rows adds nothing, even with other content.
      await appendInBatches(
        s,
        old.map((r) => ({ ...r, costPico: 1 })),
      );
      assert.equal((await s.store.requests({ limit: 1000 })).length, kept.length - old.length);
      assert.deepEqual(await figures(s), before);
      assert.equal(await s.store.control.hasRequest((old[0] as LedgerRow).id), true);

      // Rebuild: days from the horizon on come from raw rows, older days keep their rollups.
      assert.deepEqual(await s.retention.rebuildRollups(), { horizon: HORIZON });
      assert.deepEqual(await figures(s), before);

      // The horizon never moves back; new old rows (an import from before it) still count once.
      assert.deepEqual(await s.retention.prune(HORIZON - 10 * DAY), {
        horizon: HORIZON - 10 * DAY,
        deleted: 0,
      });
      const late = { ...(old[0] as LedgerRow), id: 'req_imported_late', costPico: 123_456_789 };
      await s.store.append([late]);
      const withLate = expected([...kept, late]);
      assert.deepEqual((await readAll(s)).months, withLate.months);
      assert.deepEqual(await s.retention.rebuildRollups(), { horizon: HORIZON });
      assert.deepEqual((await readAll(s)).detail, withLate.detail);
    });

    test('plan history, top-ups and span', async () => {
      const s = await fresh();
      assert.equal(await s.economics.span(), null);
      const rows = randomRows(5, 50);
      await appendInBatches(s, rows);
      const ts = firstOfEachId(rows).map((r) => r.ts);
      assert.deepEqual(await s.economics.span(), { first: Math.min(...ts), last: Math.max(...ts) });
      const jan = Date.parse('2026-01-01T00:00:00Z');
      const feb = Date.parse('2026-02-01T00:00:00Z');
      await s.store.control.addWalletEntry({
        id: 'w1',
        wallet: 'acme',
        ts: jan + 5,
        amountPico: 20_000_000_000_000n,
        reason: 'top_up',
        requestId: null,
        note: null,
      });
      await s.store.control.addWalletEntry({
        id: 'w2',
        wallet: 'acme',
        ts: jan + 6,
        amountPico: -5n,
        reason: 'usage',
        requestId: 'r',
        note: null,
      });
      await s.store.control.addWalletEntry({
        id: 'w3',
        wallet: 'globex',
        ts: feb,
        amountPico: 7n,
        reason: 'promo',
        requestId: null,
        note: null,
      });
      assert.deepEqual(await s.economics.topUps(jan, feb), [
        { wallet: 'acme', ts: jan + 5, amountPico: 20_000_000_000_000n },
      ]);
      assert.deepEqual((await s.economics.topUps(jan, feb + 1)).length, 2);
      // customer_plan_history is written by the revenue side; the reader's contract is the table's shape.
      const db = (s.store as unknown as { db: { prepare(sql: string): { run(...a: unknown[]): void } } }).db;
      const ins = db.prepare('INSERT INTO customer_plan_history VALUES (?, ?, ?, ?, ?)');
      ins.run('acme', 'starter', null, jan - DAY, jan + 10 * DAY);
      ins.run('acme', 'pro', 120_000_000_000_000n, jan + 10 * DAY, null);
      ins.run('globex', null, null, jan - 40 * DAY, jan - 20 * DAY);
      assert.deepEqual(await s.economics.planHistory(jan, feb), [
        { customer: 'acme', plan: 'starter', mrrPico: null, from: jan - DAY, to: jan + 10 * DAY },
        { customer: 'acme', plan: 'pro', mrrPico: 120_000_000_000_000n, from: jan + 10 * DAY, to: null },
      ]);
      // Grouped: customers with the same spans (as whole days) share a group; times within a day do not matter.
      ins.run('initech', 'starter', null, jan - DAY + 3_600_000, jan + 10 * DAY + 60_000);
      ins.run('initech', 'pro', 120_000_000_000_000n, jan + 10 * DAY + 60_000, null);
      ins.run('umbrella', 'pro', null, jan + 3 * DAY, null);
      const groups = await s.economics.historyGroups(jan, feb);
      assert.deepEqual(groups.customers, ['acme', 'initech', 'umbrella']);
      assert.deepEqual([...groups.groupOf], [0, 0, 1]);
      assert.deepEqual(groups.groups, [
        {
          customers: ['acme', 'initech'],
          spans: [
            { customer: '', plan: 'starter', mrrPico: null, from: jan - DAY, to: jan + 10 * DAY },
            { customer: '', plan: 'pro', mrrPico: 120_000_000_000_000n, from: jan + 10 * DAY, to: null },
          ],
        },
        {
          customers: ['umbrella'],
          spans: [{ customer: '', plan: 'pro', mrrPico: null, from: jan + 3 * DAY, to: null }],
        },
      ]);
      assert.deepEqual(groups, groupHistory(await s.economics.planHistory(jan, feb)));
    });
  });
}
