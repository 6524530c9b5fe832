// The operator surfaces: the `margin` CLI (keys, usage) against a live gateway's ledger file, and the
// admin HTTP API (/admin/v1/*). Also: virtual keys exist on disk only as hashes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createVirtualKey, hashKey } from '../src/identity/virtual-keys.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { runCli } from './helpers/cli.js';
import { expectedPico } from './helpers/expected-cost.js';
import { ADMIN_KEY, eventually, type Harness, startHarness } from './helpers/harness.js';
import { applyPlans, setPlan } from './helpers/limits.js';

let h: Harness;
/** Every virtual key minted in this file, to look for on disk at the end. */
const minted: string[] = [];

before(async () => {
  h = await startHarness();
  minted.push(h.key);
});
after(() => h.close());

const MSG = [{ role: 'user' as const, content: 'hello' }];

function admin(path: string, init: RequestInit & { key?: string | null } = {}) {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? ADMIN_KEY : init.key;
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(`${h.gateway.url}/admin/v1${path}`, { ...init, headers });
}
async function adminJson<T = Record<string, unknown>>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await admin(path, init);
  assert.equal(res.status, init.method === 'POST' ? 201 : 200, `${init.method ?? 'GET'} ${path}`);
  return (await res.json()) as T;
}

/** Parses a decimal USD string into pico-USD, asserting it is a plain decimal (never a float rendering). */
function parseUsd(s: unknown): bigint {
  assert.equal(typeof s, 'string', `money is a string, got ${JSON.stringify(s)}`);
  const m = /^(\d+)(?:\.(\d{1,12}))?$/.exec(s as string);
  assert.ok(m, `plain decimal USD: ${s}`);
  return BigInt(m[1]!) * 10n ** 12n + BigInt((m[2] ?? '').padEnd(12, '0'));
}

function openaiWith(key: string, headers: Record<string, string> = {}) {
  return new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0, defaultHeaders: headers });
}

async function chat(client: OpenAI, usage = { inputTokens: 100, outputTokens: 10 }) {
  h.standin.enqueue({ kind: 'reply', usage });
  const { response } = await client.chat.completions
    .create({ model: 'gpt-4o-mini', messages: MSG })
    .withResponse();
  return response.headers.get('x-margin-request-id');
}

/** Usage groups computed here from ledger rows, for comparing against CLI and admin output. */
function groupRows(rows: LedgerRow[], keyOf: (r: LedgerRow) => string) {
  const m = new Map<
    string,
    { requests: number; cost: bigint; input: number; output: number; unpriced: number }
  >();
  for (const r of rows) {
    const k = keyOf(r);
    const g = m.get(k) ?? { requests: 0, cost: 0n, input: 0, output: 0, unpriced: 0 };
    g.requests++;
    g.cost += r.costPico === null ? 0n : BigInt(r.costPico);
    g.input += r.inputTokens;
    g.output += r.outputTokens;
    if (r.unpriced) g.unpriced++;
    m.set(k, g);
  }
  return m;
}

type UsageJson = {
  by: string;
  data: { key: string; requests: number; input_tokens: number; output_tokens: number; cost_usd: string }[];
  total: { requests: number; cost_usd: string; unpriced_requests: number };
};

function assertUsageMatches(json: UsageJson, rows: LedgerRow[], keyOf: (r: LedgerRow) => string) {
  const want = groupRows(rows, keyOf);
  assert.deepEqual(json.data.map((g) => g.key).sort(), [...want.keys()].sort());
  let total = 0n;
  for (const g of json.data) {
    const w = want.get(g.key)!;
    assert.equal(g.requests, w.requests, `${g.key} requests`);
    assert.equal(parseUsd(g.cost_usd), w.cost, `${g.key} cost`);
    assert.equal(g.input_tokens, w.input, `${g.key} input tokens`);
    assert.equal(g.output_tokens, w.output, `${g.key} output tokens`);
    total += w.cost;
  }
  assert.equal(json.total.requests, rows.length);
  assert.equal(parseUsd(json.total.cost_usd), total);
}

describe('CLI', () => {
  let key: string;
  let keyId: string;

  test('keys create prints only the key on stdout; the key works at once', async () => {
    const r = await runCli(['keys', 'create', '--customer', 'globex', '--name', 'ci', '--db', h.db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mk_[A-Za-z0-9_-]{40}\n$/);
    key = r.stdout.trim();
    minted.push(key);
    const rec = await h.gateway.store.findKeyByHash(hashKey(key));
    assert.ok(rec, 'stored by hash');
    assert.equal(rec.customer, 'globex');
    assert.equal(rec.name, 'ci');
    keyId = rec.id;
    assert.ok(r.stderr.includes(keyId), 'the id is reported on stderr');
    const id = await chat(openaiWith(key), { inputTokens: 321, outputTokens: 12 });
    const row = (await h.rows()).find((x) => x.id === id);
    assert.equal(row?.customer, 'globex');
    assert.equal(row?.keyId, keyId);
  });

  test('keys list --json and usage --by customer --json (read while the gateway runs)', async () => {
    await chat(h.openai, { inputTokens: 1000, outputTokens: 50 });
    await chat(h.openai, { inputTokens: 10, outputTokens: 5 });
    const rows = await h.rows();
    const [list, usage, table] = await Promise.all([
      runCli(['keys', 'list', '--json', '--all', '--db', h.db]),
      runCli(['usage', '--by', 'customer', '--json', '--db', h.db]),
      runCli(['keys', 'list', '--db', h.db]),
    ]);
    assert.equal(list.code, 0, list.stderr);
    const keys = JSON.parse(list.stdout) as Record<string, unknown>[];
    const mine = keys.find((k) => k.id === keyId);
    assert.ok(mine, 'the new key is listed');
    assert.equal(mine.customer, 'globex');
    assert.equal(mine.prefix, key.slice(0, 10));
    for (const out of [list.stdout, table.stdout]) {
      assert.ok(!out.includes(key), 'never the key');
      assert.ok(!out.includes(hashKey(key)), 'never its hash');
      assert.ok(!out.includes(hashKey(h.key)), "never another key's hash");
    }
    assert.ok(keys.every((k) => !('hash' in k) && !('key' in k)));
    assert.ok(table.stdout.includes(keyId), 'the table lists it too');

    assert.equal(usage.code, 0, usage.stderr);
    const json = JSON.parse(usage.stdout) as UsageJson;
    assert.equal(json.by, 'customer');
    assertUsageMatches(json, rows, (r) => r.customer);
    assert.ok(json.data.some((g) => g.key === 'acme') && json.data.some((g) => g.key === 'globex'));
  });

  test('keys revoke <id>: the next call with that key is a 401 AuthenticationError', async () => {
    const r = await runCli(['keys', 'revoke', keyId, '--db', h.db]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(keyId));
    const before = (await h.rows()).length;
    await assert.rejects(
      openaiWith(key).chat.completions.create({ model: 'gpt-4o-mini', messages: MSG }),
      (e: unknown) => e instanceof OpenAI.AuthenticationError && e.status === 401,
    );
    const anthropic = new Anthropic({ apiKey: key, baseURL: h.gateway.url, maxRetries: 0 });
    await assert.rejects(
      anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: MSG }),
      (e: unknown) => e instanceof Anthropic.AuthenticationError && e.status === 401,
    );
    assert.equal((await h.rows()).length, before, 'a refused key is not metered');
    // Other keys are unaffected.
    assert.ok(await chat(h.openai));
  });

  test('bad flags exit non-zero with a message naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [['usage', '--by', 'nonsense', '--db', h.db], /--by/],
      [['usage', '--from', 'notadate', '--db', h.db], /--from/],
      [['usage', '--to', 'yesterday-ish', '--db', h.db], /--to/],
      [['keys', 'create', '--db', h.db], /--customer/],
      [['keys', 'revoke', 'key_doesnotexist', '--db', h.db], /key_doesnotexist/],
      [['serve', '--port', 'eighty', '--db', h.db], /--port/],
    ];
    const results = await Promise.all(cases.map(([args]) => runCli(args)));
    results.forEach((r, i) => {
      const [args, re] = cases[i]!;
      assert.notEqual(r.code, 0, `${args.join(' ')} exits non-zero`);
      assert.match(r.stderr, re, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', `${args.join(' ')} prints nothing on stdout`);
    });
  });
});

describe('admin API', () => {
  test('no admin key, a wrong one, or a virtual key → 401', async () => {
    for (const key of [null, 'wrong', `${ADMIN_KEY.slice(0, -1)}X`, h.key]) {
      const res = await admin('/usage', { key });
      assert.equal(res.status, 401, `key ${key}`);
      const body = (await res.json()) as { error?: { message?: string } };
      assert.ok(body.error?.message);
    }
    const viaXApiKey = await fetch(`${h.gateway.url}/admin/v1/usage`, {
      headers: { 'x-api-key': ADMIN_KEY },
    });
    assert.equal(viaXApiKey.status, 200);
  });

  test('GET /requests: decimal-string costs that equal the catalog price, newest first, paginated', async () => {
    const calls = [
      { inputTokens: 1_000, outputTokens: 100 },
      { inputTokens: 2_000, cachedTokens: 500, outputTokens: 200 },
      { inputTokens: 3_000, outputTokens: 300 },
      { inputTokens: 4_000, outputTokens: 400 },
      { inputTokens: 5_000, cachedTokens: 1_000, outputTokens: 500 },
    ];
    const paged = openaiWith(h.key, { 'x-margin-feature': 'paging' });
    const ids: string[] = [];
    for (const u of calls) ids.push((await chat(paged, u))!);

    const first = await adminJson<{
      data: Record<string, unknown>[];
      has_more: boolean;
      next_before: string;
    }>('/requests?limit=2');
    assert.equal(first.data.length, 2);
    assert.equal(first.has_more, true);
    assert.equal(first.next_before, first.data[1]?.id);
    assert.deepEqual(
      first.data.map((r) => r.id),
      [ids[4], ids[3]],
      'newest first',
    );

    // Walk every page: each row exactly once, in order.
    const all = (await h.rows()).map((r) => r.id);
    const seen: string[] = [];
    let before: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page: { data: { id: string }[]; has_more: boolean; next_before: string | null } = await adminJson(
        `/requests?limit=2${before ? `&before=${before}` : ''}`,
      );
      seen.push(...page.data.map((r) => r.id));
      if (!page.has_more) {
        assert.equal(page.next_before, null);
        break;
      }
      before = page.next_before;
    }
    assert.deepEqual(seen, all);

    const exact = await adminJson<{ has_more: boolean; next_before: null }>(`/requests?limit=${all.length}`);
    assert.equal(exact.has_more, false, 'exactly `limit` rows left is not "more"');
    assert.equal(exact.next_before, null);

    const ours = (await adminJson<{ data: Record<string, unknown>[] }>('/requests?limit=1000')).data.filter(
      (r) => ids.includes(r.id as string),
    );
    assert.equal(ours.length, calls.length);
    for (const r of ours) {
      const u = calls[ids.indexOf(r.id as string)]!;
      const cached = u.cachedTokens ?? 0;
      assert.equal(r.input_tokens, u.inputTokens - cached);
      assert.equal(r.cache_read_tokens, cached);
      assert.equal(r.output_tokens, u.outputTokens);
      assert.equal(r.feature, 'paging');
      assert.equal(r.customer, 'acme');
      assert.equal(r.unpriced, false);
      assert.equal(typeof r.time, 'string');
      assert.equal(new Date(r.time as string).toISOString(), r.time);
      assert.equal(
        parseUsd(r.cost_usd),
        expectedPico('openai', 'gpt-4o-mini', {
          input: u.inputTokens - cached,
          cacheRead: cached,
          output: u.outputTokens,
        }),
      );
    }
  });

  test('GET /requests rejects a bad limit or date, naming the parameter', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=two', 'limit'],
      ['from=notadate', 'from'],
    ];
    for (const [q, field] of cases) {
      const res = await admin(`/requests?${q}`);
      assert.equal(res.status, 400, q);
      const body = (await res.json()) as { error: { message: string } };
      assert.ok(body.error.message.includes(field), `${q}: ${body.error.message}`);
    }
  });

  test('GET /usage by customer, feature and model, with totals, matches the ledger', async () => {
    // Traffic on both protocols, several features.
    await chat(openaiWith(h.key, { 'x-margin-feature': 'search' }), { inputTokens: 700, outputTokens: 70 });
    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 900, outputTokens: 90, cacheRead: 100 } });
    await h.anthropic.messages.create(
      { model: 'claude-haiku-4-5', max_tokens: 100, messages: MSG },
      { headers: { 'x-margin-feature': 'summarize' } },
    );
    const rows = await h.rows();
    const keyOf = {
      customer: (r: LedgerRow) => r.customer,
      feature: (r: LedgerRow) => r.feature,
      model: (r: LedgerRow) => r.modelServed ?? r.modelRequested,
    };
    for (const by of ['customer', 'feature', 'model'] as const) {
      const json = await adminJson<UsageJson>(`/usage?by=${by}`);
      assert.equal(json.by, by);
      assertUsageMatches(json, rows, keyOf[by]);
    }
    const byFeature = await adminJson<UsageJson>('/usage?by=feature');
    for (const f of ['search', 'summarize', 'paging'])
      assert.ok(
        byFeature.data.some((g) => g.key === f),
        f,
      );
    const haiku = (await adminJson<UsageJson>('/usage?by=model')).data.find(
      (g) => g.key === 'claude-haiku-4-5',
    );
    assert.ok(haiku);
    assert.equal(
      parseUsd(haiku.cost_usd),
      expectedPico('anthropic', 'claude-haiku-4-5', { input: 900, output: 90, cacheRead: 100 }),
    );
    const one = await adminJson<UsageJson>('/usage?by=feature&customer=acme');
    assertUsageMatches(
      one,
      rows.filter((r) => r.customer === 'acme'),
      keyOf.feature,
    );
    const bad = await admin('/usage?by=nonsense');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /^by:/);
  });

  test('POST /keys app key: x-margin-customer is required and bills that customer; DELETE revokes', async () => {
    const created = await adminJson<Record<string, unknown>>('/keys', {
      method: 'POST',
      body: JSON.stringify({ kind: 'app', name: 'backend' }),
    });
    const key = created.key as string;
    minted.push(key);
    assert.match(key, /^mk_/);
    assert.equal(created.kind, 'app');
    assert.equal(created.customer, null);
    assert.equal(created.name, 'backend');
    assert.equal(created.prefix, key.slice(0, 10));
    assert.ok(!('hash' in created));

    await assert.rejects(
      openaiWith(key).chat.completions.create({ model: 'gpt-4o-mini', messages: MSG }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && e.status === 400 && e.message.includes('x-margin-customer'),
    );

    const id = await chat(
      openaiWith(key, { 'x-margin-customer': 'tenant-42', 'x-margin-feature': 'reports' }),
      {
        inputTokens: 77,
        outputTokens: 7,
      },
    );
    const row = (await h.rows()).find((r) => r.id === id);
    assert.equal(row?.customer, 'tenant-42');
    assert.equal(row?.feature, 'reports');
    assert.equal(row?.keyId, created.id);
    const usage = await adminJson<UsageJson>('/usage?by=customer&customer=tenant-42');
    assert.equal(usage.data[0]?.requests, 1);

    const listed = await adminJson<{ data: Record<string, unknown>[] }>('/keys');
    assert.ok(listed.data.some((k) => k.id === created.id));
    assert.ok(!JSON.stringify(listed).includes(key) && !JSON.stringify(listed).includes(hashKey(key)));

    const del = await adminJson<Record<string, unknown>>(`/keys/${created.id}`, { method: 'DELETE' });
    assert.equal(del.id, created.id);
    assert.equal(typeof del.revoked_at, 'string');
    await assert.rejects(
      openaiWith(key, { 'x-margin-customer': 'tenant-42' }).chat.completions.create({
        model: 'gpt-4o-mini',
        messages: MSG,
      }),
      (e: unknown) => e instanceof OpenAI.AuthenticationError,
    );
    const after = await adminJson<{ data: Record<string, unknown>[] }>('/keys');
    assert.ok(!after.data.some((k) => k.id === created.id), 'revoked keys leave the default list');
    const withRevoked = await adminJson<{ data: Record<string, unknown>[] }>('/keys?include_revoked=true');
    assert.ok(withRevoked.data.some((k) => k.id === created.id));
    assert.equal((await admin('/keys/key_nope', { method: 'DELETE' })).status, 404);
  });

  test('POST /keys customer key: needs a valid customer; the key bills it', async () => {
    const missing = await admin('/keys', { method: 'POST', body: JSON.stringify({ kind: 'customer' }) });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { error: { message: string } }).error.message, /customer/);
    const badKind = await admin('/keys', { method: 'POST', body: JSON.stringify({ kind: 'root' }) });
    assert.equal(badKind.status, 400);
    const created = await adminJson<{ key: string; customer: string }>('/keys', {
      method: 'POST',
      body: JSON.stringify({ customer: 'initech' }),
    });
    minted.push(created.key);
    assert.equal(created.customer, 'initech');
    const id = await chat(openaiWith(created.key, { 'x-margin-customer': 'someone-else' }));
    assert.equal(
      (await h.rows()).find((r) => r.id === id)?.customer,
      'initech',
      'a customer key ignores the header',
    );
  });

  test('the admin API is off (401) when no admin key is configured', async () => {
    const bare = await startHarness({ env: { MARGIN_ADMIN_KEY: '' } });
    try {
      for (const key of [null, ADMIN_KEY, '']) {
        const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
        const res = await fetch(`${bare.gateway.url}/admin/v1/usage`, { headers });
        assert.equal(res.status, 401);
        assert.match(
          ((await res.json()) as { error: { message: string } }).error.message,
          /MARGIN_ADMIN_KEY/,
        );
      }
    } finally {
      await bare.close();
    }
  });
});

describe('margin customers show', () => {
  test('--gateway shows what a running gateway holds reserved while a call is in flight', async () => {
    const customer = 'inflight';
    await applyPlans(h, { metered: { priceUsd: 9, budget: { unit: 'runs', amount: 100 } } });
    await setPlan(h, customer, 'metered');
    const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
    minted.push(key);
    // A stream whose next chunk is a minute away: in flight until the client hangs up.
    h.standin.enqueue({ kind: 'reply', text: 'one two three', chunkDelayMs: 60_000 });
    const stream = await openaiWith(key).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: MSG,
      stream: true,
    });
    try {
      type Shown = {
        budget: { used: string; reserved: string | null };
        reserved: { calls: number; unit: string | null; budget: string | null; wallet_usd: string | null };
      };
      const live = await runCli(['customers', 'show', customer, '--gateway', h.gateway.url], {
        MARGIN_ADMIN_KEY: ADMIN_KEY,
      });
      assert.equal(live.code, 0, live.stderr);
      const shown = JSON.parse(live.stdout) as Shown;
      assert.deepEqual(shown.reserved, { calls: 1, unit: 'runs', budget: '1', wallet_usd: null });
      assert.equal(shown.budget.reserved, '1', 'one run held by the call in flight');
      assert.equal(shown.budget.used, '0');

      // From the ledger file alone: the journal says a call is in flight; the amount is unknown, not 0.
      const offline = await runCli(['customers', 'show', customer, '--db', h.db]);
      assert.equal(offline.code, 0, offline.stderr);
      const fromFile = JSON.parse(offline.stdout) as Shown;
      assert.deepEqual(fromFile.reserved, { calls: 1, unit: 'runs', budget: null, wallet_usd: null });
      assert.equal(fromFile.budget.reserved, null);
      assert.match(offline.stderr, /1 call\(s\) in flight; pass --gateway URL/);

      const noKey = await runCli(['customers', 'show', customer, '--gateway', h.gateway.url]);
      assert.equal(noKey.code, 1);
      assert.match(noKey.stderr, /^margin: MARGIN_ADMIN_KEY: required with --gateway/);
      const wrongKey = await runCli(['customers', 'show', customer, '--gateway', h.gateway.url], {
        MARGIN_ADMIN_KEY: 'not-the-admin-key-0123456789',
      });
      assert.equal(wrongKey.code, 1);
      assert.match(wrongKey.stderr, /answered 401: Invalid admin key/);
    } finally {
      stream.controller.abort();
    }
    await eventually(async () => {
      const res = await admin(`/customers/${customer}`);
      const body = (await res.json()) as { reserved: { calls: number; budget: string } };
      assert.deepEqual([body.reserved.calls, body.reserved.budget], [0, '0'], 'released when it ended');
    }, 10_000);
  });
});

describe('virtual keys at rest', () => {
  test('the SQLite files hold each key only as its hash; upstream never sees a virtual key', async () => {
    await h.rows(); // everything committed
    assert.ok(minted.length >= 4, `${minted.length} keys minted`);
    const files = [h.db, `${h.db}-wal`].filter((f) => existsSync(f));
    const bytes = Buffer.concat(files.map((f) => readFileSync(f)));
    for (const key of minted) {
      assert.equal(bytes.indexOf(key), -1, `raw key ${key.slice(0, 10)}… is not on disk`);
      assert.equal(bytes.indexOf(key.slice(3)), -1, 'nor its secret part without the prefix');
      assert.notEqual(bytes.indexOf(hashKey(key)), -1, 'its hash is (so these are the right files)');
    }
    for (const r of h.standin.requests) {
      const seen = JSON.stringify(r.headers);
      for (const key of minted) assert.ok(!seen.includes(key), 'virtual key forwarded upstream');
    }
  });
});
