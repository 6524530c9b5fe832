// Events and webhooks from the request path: budget thresholds, wallet.low (re-armed by a top-up),
// usage.anomaly against the customer's own typical day; signed deliveries; settle idempotence and a
// cancelled stream's release.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { limitsSchema } from '../src/config/schema.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { LedgerWriter } from '../src/ledger/writer.js';
import { LimitsEngine } from '../src/limits/engine.js';
import { usdToPico } from '../src/util/money.js';
import { runCli } from './helpers/cli.js';
import { expectedPico } from './helpers/expected-cost.js';
import { eventually, type Harness, startHarness } from './helpers/harness.js';
import { admin, applyPlans, ManualClock, outboxEvents, picoDecimal, setPlan } from './helpers/limits.js';

const SECRET = `whsec_${Buffer.from('another-secret-for-the-tests-32b').toString('base64')}`;
const DAY = 86_400_000;
const ask = {
  model: 'gpt-4o-mini',
  max_tokens: 50,
  messages: [{ role: 'user' as const, content: 'Hello there.' }],
};

describe('events from the request path', () => {
  let h: Harness;
  const clock = new ManualClock(Date.parse('2026-11-10T12:00:00Z'));
  const got: { headers: IncomingMessage['headers']; body: string }[] = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    got.push({ headers: req.headers, body });
    res.writeHead(200).end();
  });

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/margin-hooks`;
    h = await startHarness({ clock, env: { MARGIN_WEBHOOK_URL: url, MARGIN_WEBHOOK_SECRET: SECRET } });
  });
  after(async () => {
    await h.close();
    server.close();
  });

  test('budget.soft_reached is delivered signed, with the upgrade math, and listed by `margin events`', async () => {
    await applyPlans(h, {
      basic: { priceUsd: 10, budget: { unit: 'runs', amount: 5 } },
      plus: { priceUsd: 25, budget: { unit: 'runs', amount: 50 } },
    });
    await setPlan(h, 'acme', 'basic', { cycle_day: 1 });
    for (let i = 0; i < 4; i++) await h.openai.chat.completions.create(ask);
    await h.gateway.writer.drain();
    await h.gateway.deliverWebhooks();
    assert.equal(got.length, 1);
    const hook = got[0];
    const evt = new Webhook(SECRET).verify(hook?.body ?? '', hook?.headers as Record<string, string>) as {
      type: string;
      data: Record<string, unknown>;
    };
    assert.equal(evt.type, 'budget.soft_reached');
    assert.equal(evt.data.used, '4');
    assert.equal(evt.data.cap, '5');
    assert.equal(evt.data.days_elapsed, 9.5);
    assert.equal(evt.data.projected_cycle_usage, '13', '4 runs in 9.5 of 30 days → 12.6 → 13');
    assert.deepEqual(evt.data.recommended_plan, { name: 'plus', price_usd: '25', budget: '50' });
    const tampered = hook?.body.replace('"4"', '"1"') ?? '';
    assert.throws(() => new Webhook(SECRET).verify(tampered, hook?.headers as Record<string, string>));
    const viaAdmin = (await admin(h, 'GET', '/events?customer=acme&type=budget.soft_reached')) as {
      data: { type: string; payload: { used: string }; deliveries: { status: string }[] }[];
    };
    assert.equal(viaAdmin.data.length, 1);
    assert.equal(viaAdmin.data[0]?.payload.used, '4');
    assert.equal(viaAdmin.data[0]?.deliveries[0]?.status, 'delivered');
    const cli = await runCli(['events', '--json', '--db', h.db]);
    assert.equal(cli.code, 0, cli.stderr);
    const listed = (
      JSON.parse(cli.stdout) as {
        data: { type: string; customer: string; deliveries: { status: string }[] }[];
      }
    ).data;
    const soft = listed.find((e) => e.type === 'budget.soft_reached' && e.customer === 'acme');
    assert.deepEqual(
      soft?.deliveries.map((d) => d.status),
      ['delivered'],
    );
  });

  test('usage.anomaly fires once when a day reaches 10× the customer’s typical day', async () => {
    const customer = 'bursty';
    const { createVirtualKey } = await import('../src/identity/virtual-keys.js');
    const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
    await applyPlans(h, { big: { priceUsd: 99, budget: { unit: 'runs', amount: 10_000 } } });
    await setPlan(h, customer, 'big', { cycle_day: 1 });
    // Five earlier days with one run each: the typical day is 1 run.
    await h.gateway.store.append(
      [1, 2, 3, 4, 5].map((d) => historyRow(`hist-${d}`, customer, clock.now() - d * DAY)),
    );
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 9; i++) await client.chat.completions.create(ask);
    const typeOf = async () =>
      (await outboxEvents(h)).filter((e) => e.customer === customer).map((e) => e.type);
    assert.deepEqual(await typeOf(), [], '9× is not an anomaly');
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask);
    const events = (await outboxEvents(h)).filter((e) => e.customer === customer);
    assert.deepEqual(
      events.map((e) => e.type),
      ['usage.anomaly'],
      'fires at 10×, once',
    );
    assert.equal(events[0]?.payload.today, '10');
    assert.equal(events[0]?.payload.typical_day, '1');
  });

  test('wallet.low fires once below the threshold and is re-armed by a top-up', async () => {
    const customer = 'prepaid';
    const { createVirtualKey } = await import('../src/identity/virtual-keys.js');
    const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
    h.standin.setDefault({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 20 } });
    const cost = expectedPico('openai', 'gpt-4o-mini', { input: 10, output: 20 });
    // wallet.low below 7.5 calls' worth; the worst case of a call (50 output tokens) is under 3 calls' worth.
    await applyPlans(h, { prepaid: { priceUsd: 0, walletLowUsd: picoDecimal((cost * 15n) / 2n) } });
    await setPlan(h, customer, 'prepaid');
    await admin(h, 'POST', `/wallets/${customer}/top-ups`, { amount_usd: picoDecimal(cost * 10n) });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    const lows = async () =>
      (await outboxEvents(h)).filter((e) => e.customer === customer && e.type === 'wallet.low');
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask); // 8 calls' worth left: not below
    assert.equal((await lows()).length, 0);
    const { response } = await client.chat.completions.create(ask).withResponse(); // 7 left: below
    assert.equal(usdToPico(response.headers.get('x-margin-wallet-balance-usd') ?? 'x'), cost * 7n);
    await client.chat.completions.create(ask);
    assert.equal((await lows()).length, 1, 'once, not on every call below');
    await admin(h, 'POST', `/wallets/${customer}/top-ups`, { amount_usd: picoDecimal(cost * 5n) }); // 11 left
    for (let i = 0; i < 3; i++) await client.chat.completions.create(ask); // 8 left
    assert.equal((await lows()).length, 1);
    await client.chat.completions.create(ask); // 7 left
    await eventually(async () => assert.equal((await lows()).length, 2, 're-armed by the top-up'));
    const wallet = (await admin(h, 'GET', `/wallets/${customer}`)) as { balance_usd: string };
    assert.equal(usdToPico(wallet.balance_usd), cost * 7n);
    h.standin.reset();
  });

  test('a cancelled stream is charged what it used and its reservation released', async () => {
    const customer = 'canceller';
    const { createVirtualKey } = await import('../src/identity/virtual-keys.js');
    const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
    await applyPlans(h, { usd: { priceUsd: 5, budget: { unit: 'usd', amount: '1' } } });
    await setPlan(h, customer, 'usd');
    h.standin.setDefault({
      kind: 'reply',
      text: 'one two three four five six seven eight',
      chunkDelayMs: 50,
    });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    const stream = await client.chat.completions.create({ ...ask, stream: true });
    for await (const _ of stream) {
      stream.controller.abort();
      break;
    }
    await eventually(async () => {
      const res = await fetch(`${h.gateway.url}/v1/margin/usage`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const u = (await res.json()) as { budget: { used: string; reserved: string } };
      assert.equal(u.budget.reserved, '0', 'released');
      const rows = (await h.rows()).filter((r) => r.customer === customer);
      assert.equal(rows[0]?.status, 499);
      assert.ok((rows[0]?.costPico ?? 0) > 0, 'charged what it used');
      assert.equal(usdToPico(u.budget.used), BigInt(rows[0]?.costPico ?? -1));
    });
    h.standin.reset();
  });

  test('budget.blocked fires at the first 402 of a cycle, even when a smaller answer would fit', async () => {
    const customer = 'refused';
    const { createVirtualKey } = await import('../src/identity/virtual-keys.js');
    const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
    h.standin.setDefault({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 5 } });
    // $0.0005: 1,000 gpt-4o-mini output tokens ($0.0006) never fit, a few hundred do. No lowerMaxTokens.
    const capPico = 500_000_000n;
    assert.ok(expectedPico('openai', 'gpt-4o-mini', { input: 0, output: 1000 }) > capPico);
    await applyPlans(h, { tiny: { priceUsd: 5, budget: { unit: 'usd', amount: picoDecimal(capPico) } } });
    await setPlan(h, customer, 'tiny', { cycle_day: 1 });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    const events = async () => (await outboxEvents(h)).filter((e) => e.customer === customer);
    const tooLong = { ...ask, max_tokens: 1000 };

    // No max_tokens: Margin picks the output cap, lowers it to what fits and serves the call: no refusal.
    const served = await client.chat.completions.create({ model: ask.model, messages: ask.messages });
    assert.equal(served.object, 'chat.completion');
    assert.deepEqual(await events(), [], 'a call served shorter is not a refusal');

    const refusal = await client.chat.completions.create(tooLong).catch((e: unknown) => e);
    assert.ok(refusal instanceof OpenAI.APIError);
    assert.equal(refusal.status, 402);
    const fit = (refusal.error as Record<string, unknown>).suggested_max_tokens;
    assert.ok(typeof fit === 'number' && fit > 0 && fit < 1000, `a smaller answer fits: ${fit}`);
    await assert.rejects(client.chat.completions.create(tooLong), { status: 402 });

    const got = await events();
    assert.deepEqual(
      got.map((e) => e.type),
      ['budget.blocked'],
      'once per cycle; not exhausted, since a smaller answer still fits',
    );
    const p = got[0]?.payload ?? {};
    assert.equal(p.plan, 'tiny');
    assert.equal(p.code, 'budget_exceeded');
    assert.equal(p.suggested_max_tokens, fit);
    const spent = (await h.rows()).filter((r) => r.customer === customer && r.status === 200);
    assert.equal(spent.length, 1);
    assert.equal(usdToPico(String(p.used)), BigInt(spent[0]?.costPico ?? -1), 'the upgrade math: used');
    assert.equal(p.cycle_start, '2026-11-01T00:00:00.000Z');

    // A new cycle: the first refusal is news again.
    const saved = clock.t;
    clock.t = Date.parse('2026-12-02T00:00:00Z');
    try {
      await assert.rejects(client.chat.completions.create(tooLong), { status: 402 });
      const again = (await events()).filter((e) => e.type === 'budget.blocked');
      assert.deepEqual(
        again.map((e) => e.payload.cycle_start),
        ['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z'],
      );
    } finally {
      clock.t = saved;
      h.standin.reset();
    }
  });
});

describe('settle', () => {
  test('is idempotent: a second settle of the same call changes nothing', async () => {
    const store = new SqliteStore(join(mkdtempSync(join(tmpdir(), 'margin-settle-')), 'l.db'));
    const writer = new LedgerWriter(store);
    const clock = new ManualClock(Date.parse('2026-11-10T00:00:00Z'));
    await store.control.upsertPlans(
      {
        p: {
          priceUsd: '1',
          budget: { unit: 'tokens', amount: '1000' },
          soft: { thresholdPercent: 80 },
          hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
          features: {},
          rateLimits: {},
        },
      },
      clock.now(),
    );
    await store.control.setCustomer({ id: 'c', plan: 'p' }, clock.now());
    const limits = new LimitsEngine({
      control: store.control,
      writer,
      clock,
      config: limitsSchema.parse({}),
      log: () => {},
    });
    const policy = await limits.policy('c');
    assert.ok(policy);
    const reserve = (id: string, tokens: number) =>
      limits.reserve(policy, {
        id,
        keyId: 'k',
        worst: { feature: 'default', costPico: 0n, tokens, billable: true },
        tpmTokens: tokens,
        expiresAt: clock.now() + 60_000,
        model: 'gpt-4o-mini',
        fittingMaxTokens: () => undefined,
      });
    const r = await reserve('req_1', 300);
    assert.equal(policy.state.reserved, 300n);
    const row = historyRow('req_1', 'c', clock.now(), 100);
    const first = limits.settle(r, row);
    const second = limits.settle(r, row);
    assert.deepEqual(second, {});
    assert.equal(policy.state.spent, 120n, '100 input + 20 output tokens, once');
    assert.equal(policy.state.reserved, 0n);
    await writer.submit({ request: row, ...first });
    await writer.submit({ request: row, ...first }); // a retried commit: the row is not counted twice
    assert.equal((await store.requests({ customer: 'c' })).length, 1);

    // An orphaned reservation (its call never settles) expires and stops holding budget.
    const orphan = await reserve('req_2', 500);
    assert.equal(policy.state.reserved, 500n);
    assert.equal(limits.expire(), 0, 'not before its time');
    clock.advance(60_000);
    assert.equal(limits.expire(), 1);
    assert.equal(policy.state.reserved, 0n);
    // A late settle still charges what the call used, once.
    limits.settle(orphan, historyRow('req_2', 'c', clock.now(), 10));
    assert.equal(policy.state.spent, 150n);
    await writer.drain();
    await store.close();
  });
});

function historyRow(id: string, customer: string, ts: number, input = 10): LedgerRow {
  return {
    id,
    ts,
    customer,
    keyId: 'key_hist',
    feature: 'default',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'gpt-4o-mini',
    modelServed: 'gpt-4o-mini',
    modelRouted: null,
    inputTokens: input,
    outputTokens: 20,
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
  };
}

describe('an upstream that hangs up mid-body after a 2xx', () => {
  test('is charged its input (estimated), not $0, and the reservation settles to that', async () => {
    const upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"id":"chatcmpl-1","object":"chat.c');
        setTimeout(() => res.destroy(), 20);
      });
    });
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
    const h = await startHarness({ env: { MARGIN_UPSTREAM_OPENAI_URL: url } });
    try {
      await applyPlans(h, { usd: { priceUsd: 5, budget: { unit: 'usd', amount: '1' } } });
      await setPlan(h, 'acme', 'usd');
      const err = await h.openai.chat.completions.create(ask).catch((e: unknown) => e);
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 502);
      const rows = await h.rows();
      assert.equal(rows.length, 1, 'one row, not a second one for the error');
      const row = rows[0];
      assert.equal(row?.status, 502);
      assert.equal(row?.estimated, true);
      assert.ok((row?.inputTokens ?? 0) > 0);
      assert.equal(
        BigInt(row?.costPico ?? -1),
        expectedPico('openai', 'gpt-4o-mini', { input: row?.inputTokens ?? 0, output: 0 }),
      );
      const res = await fetch(`${h.gateway.url}/v1/margin/usage`, {
        headers: { authorization: `Bearer ${h.key}` },
      });
      const u = (await res.json()) as { budget: { used: string; reserved: string } };
      assert.equal(usdToPico(u.budget.used), BigInt(row?.costPico ?? -1));
      assert.equal(u.budget.reserved, '0');
    } finally {
      await h.close();
      upstream.close();
    }
  });
});
