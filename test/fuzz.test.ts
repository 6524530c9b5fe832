import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { type Mutation, type Planned, planRequest, rng, type Shape } from './helpers/fuzz-requests.js';
import { ADMIN_KEY, type Harness, startHarness } from './helpers/harness.js';
import { admin, applyPlans, setPlan } from './helpers/limits.js';
import { rawExchange } from './helpers/raw-http.js';

// A seeded fuzz over every endpoint: malformed, oversized, deep and mistyped requests. Whatever the input,
// the gateway answers (no 5xx, no hang, no reset for documented limits) with a JSON error in the caller's
// shape naming the problem, and writes exactly one ledger row per call that got past identification.
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_000);
const CONCURRENCY = 12;
const MAX_BODY = 16 * 1024;
const TIMEOUT_MS = 15_000;

interface Tally {
  byStatus: Map<number, number>;
  byMutation: Map<Mutation, number>;
  failures: string[];
  identifiedIds: Set<string>;
  otherIds: Set<string>;
  busyRetries: number;
}

describe(`seeded fuzz (seed ${SEED}, ${REQUESTS} requests)`, () => {
  let h: Harness;
  const keys: Record<'plain' | 'plan' | 'wallet' | 'app', string> = {
    plain: '',
    plan: '',
    wallet: '',
    app: '',
  };
  let revoked = '';
  const agent = new Agent({ connections: CONCURRENCY, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'margin-fuzz-')), 'margin.yaml');
    writeFileSync(file, `server:\n  maxBodyBytes: ${MAX_BODY}\n`);
    h = await startHarness({ configFile: file });
    const store = h.gateway.store;
    const now = Date.now();
    keys.plain = h.key;
    keys.plan = (await createVirtualKey(store, { customer: 'fz-plan', now })).key;
    keys.wallet = (await createVirtualKey(store, { customer: 'fz-wallet', now })).key;
    keys.app = (await createVirtualKey(store, { kind: 'app', now })).key;
    const gone = await createVirtualKey(store, { customer: 'fz-gone', now });
    await store.revokeKey(gone.record.id, now);
    revoked = gone.key;
    await applyPlans(h, { 'fz-roomy': { priceUsd: 5, budget: { unit: 'usd', amount: '100000' } } });
    await setPlan(h, 'fz-plan', 'fz-roomy');
    await admin(h, 'POST', '/wallets/fz-wallet/top-ups', { amount_usd: '100000' });
  });
  after(async () => {
    await agent.close();
    await h.close();
  });

  test('no 5xx, no hang, no reset; every 4xx a JSON error in the caller’s shape; one row per identified call', async () => {
    const r = rng(SEED);
    const tally: Tally = {
      byStatus: new Map(),
      byMutation: new Map(),
      failures: [],
      identifiedIds: new Set(),
      otherIds: new Set(),
      busyRetries: 0,
    };
    // The whole run is drawn up front from one seeded stream: request #n is the same on every run.
    const k = { keys: { ...keys, revoked }, maxBody: MAX_BODY, adminKey: ADMIN_KEY };
    const plans = Array.from({ length: REQUESTS }, () => planRequest(r, k));
    const identified = plans.filter((p) => p.identified).length;
    for (const p of plans) tally.byMutation.set(p.mutation, (tally.byMutation.get(p.mutation) ?? 0) + 1);
    let next = 0;
    const worker = async () => {
      for (let n = next++; n < plans.length; n = next++) {
        const p = plans[n] as Planned;
        const problem = await exchange(h.gateway.url, agent, p, tally);
        if (problem && tally.failures.length < 20) tally.failures.push(`#${n} ${label(p)}: ${problem}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const summary = [...tally.byStatus].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}:${c}`);
    if (process.env.FUZZ_VERBOSE) console.log(summary.join(' '), { identified, busy: tally.busyRetries });
    assert.deepEqual(tally.failures, [], `statuses ${summary.join(' ')}`);
    for (const s of tally.byStatus.keys()) assert.ok(s < 500, `a ${s} was answered`);
    // Every kind of hostile input was actually tried, and both the happy path and refusals happened.
    assert.ok(tally.byMutation.size >= 20, `mutations tried: ${[...tally.byMutation.keys()].join(', ')}`);
    assert.ok((tally.byStatus.get(200) ?? 0) > REQUESTS / 20, 'some calls succeeded');
    for (const s of [400, 401, 404, 405, 413, 431])
      assert.ok((tally.byStatus.get(s) ?? 0) > 0, `no ${s} seen`);

    const rows = await allRows(h);
    assert.equal(tally.identifiedIds.size, identified, 'every identified call answered with its request id');
    assert.equal(rows.length, identified, 'exactly one ledger row per identified call');
    const rowIds = new Set(rows.map((row) => row.id));
    for (const id of tally.identifiedIds) assert.ok(rowIds.has(id), `no row for ${id}`);
    for (const id of tally.otherIds) assert.ok(!rowIds.has(id), `a row for unidentified ${id}`);
    for (const row of rows) {
      assert.ok(row.modelRequested.length <= 256, `model of ${row.modelRequested.length} chars stored`);
      assert.ok((row.modelServed ?? '').length <= 256);
      assert.ok(row.customer.length <= 128 && row.feature.length <= 128);
      assert.ok((row.errorCode ?? '').length <= 64);
    }
    const listed = (await admin(h, 'GET', '/keys?include_revoked=true')) as {
      data: { name: string | null }[];
    };
    for (const k of listed.data) assert.ok((k.name ?? '').length <= 1024, 'a key name over 1024 chars');
    for (const w of ['fz-c1', 'fz-c2', 'fz-c3']) {
      const wallet = (await admin(h, 'GET', `/wallets/${w}`)) as {
        entries: { note: string | null; reason: string }[];
      };
      for (const e of wallet.entries) assert.ok((e.note ?? '').length <= 1024 && e.reason.length <= 1024);
    }
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function send(base: string, agent: Agent, p: Planned): Promise<Answer> {
  if (p.raw !== undefined) return rawExchange(base, p.raw, TIMEOUT_MS);
  const res = await request(`${base}${p.path}`, {
    method: p.method as 'GET',
    headers: p.headers,
    body: p.body,
    dispatcher: agent,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/**
 * An admin write that met the ledger writer's SQLite lock. The control store's locking is another piece
 * of work (it answers 503 store_busy with retry-after there); the fuzz retries like a client would.
 */
const storeBusy = (p: Planned, a: Answer) =>
  p.path.startsWith('/admin/') &&
  ((a.status === 503 && a.text.includes('store_busy')) || /database is locked/.test(a.text));

/** Sends one planned request and checks the answer; returns what was wrong, or undefined. */
async function exchange(base: string, agent: Agent, p: Planned, tally: Tally): Promise<string | undefined> {
  let answer: Answer;
  try {
    answer = await send(base, agent, p);
    for (let retry = 0; retry < 10 && storeBusy(p, answer); retry++) {
      tally.busyRetries++;
      await new Promise((r) => setTimeout(r, 20 + retry * 20));
      answer = await send(base, agent, p);
    }
  } catch (e) {
    return `no answer: ${(e as Error).message} (${(e as { code?: string }).code ?? ''})`;
  }
  const { status, headers, text } = answer;
  tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
  const id = headers['x-margin-request-id'];
  if (p.meteredRoute && typeof id === 'string') (p.identified ? tally.identifiedIds : tally.otherIds).add(id);
  if (status >= 500) return `status ${status}: ${text.slice(0, 200)}`;
  if (p.expectStatus !== undefined && !p.expectStatus.includes(status))
    return `status ${status}, expected ${p.expectStatus.join('/')}: ${text.slice(0, 200)}`;
  if (status < 400) return undefined;
  if (!String(headers['content-type'] ?? '').startsWith('application/json'))
    return `${status} without a JSON content-type: ${text.slice(0, 100)}`;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `${status} body is not JSON: ${text.slice(0, 100)}`;
  }
  const shape = shapeOf(body);
  if (!shape || !p.shapes.includes(shape.kind))
    return `${status} error shape ${shape?.kind ?? 'unknown'}, expected ${p.shapes.join('/')}: ${text.slice(0, 200)}`;
  if (!shape.message || shape.message.length > 600) return `${status} message missing or too long`;
  if (p.expectMessage && !p.expectMessage.test(shape.message))
    return `${status} message ${JSON.stringify(shape.message.slice(0, 200))} does not match ${p.expectMessage}`;
  return undefined;
}

type ErrorShape = { kind: Shape; message: string };

/** Which error shape a body has: OpenAI's, Anthropic's, or the admin API's. */
function shapeOf(body: unknown): ErrorShape | undefined {
  const b = body as { type?: unknown; error?: Record<string, unknown> } | null;
  const e = b?.error;
  if (!e || typeof e !== 'object' || typeof e.message !== 'string') return undefined;
  if (b.type === 'error' && typeof e.type === 'string') return { kind: 'anthropic', message: e.message };
  if (typeof e.type === 'string' && 'param' in e && 'code' in e)
    return { kind: 'openai', message: e.message };
  if (typeof e.status === 'number' && !('type' in e)) return { kind: 'admin', message: e.message };
  return undefined;
}

function label(p: Planned): string {
  return `${p.raw !== undefined ? 'raw' : p.method} ${p.path.slice(0, 60)} [${p.mutation}]`;
}

/** Every ledger row, paging past the store's 1,000-row pages (the writer is drained first). */
async function allRows(h: Harness): Promise<LedgerRow[]> {
  await h.gateway.writer.drain();
  const out: LedgerRow[] = [];
  let before: string | undefined;
  for (;;) {
    const page = await h.gateway.store.requests({ limit: 1000, before });
    out.push(...page);
    if (page.length < 1000) return out;
    before = page.at(-1)?.id;
  }
}
