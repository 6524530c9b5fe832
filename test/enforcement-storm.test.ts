// Exact enforcement under concurrency: storms of N ∈ {64, 256} calls against a budget (and a prepaid
// wallet) with room for only a few never overspend and serve every call that fit; a SIGKILL mid-storm
// loses no reservation accounting and no queued webhook.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Webhook } from 'standardwebhooks';
import { loadConfig } from '../src/config/load.js';
import { startGateway } from '../src/gateway.js';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import { type Standin, startStandin } from '../src/standin/server.js';
import { usdToPico } from '../src/util/money.js';
import { startServe } from './helpers/cli.js';
import { expectedPico } from './helpers/expected-cost.js';
import { type Harness, startHarness } from './helpers/harness.js';
import { admin, applyPlans, ledgerSpend, picoDecimal, setPlan } from './helpers/limits.js';

interface Outcome {
  ok: boolean;
  status?: number;
  code?: string;
  needed?: string;
}

async function settleAll(calls: Promise<unknown>[]): Promise<Outcome[]> {
  const results = await Promise.allSettled(calls);
  return results.map((r) => {
    if (r.status === 'fulfilled') return { ok: true };
    const e = r.reason as { status?: number; error?: Record<string, unknown> };
    // OpenAI puts the error object's fields on `error`; Anthropic nests them under `error.error`.
    const body = (e.error?.error as Record<string, unknown> | undefined) ?? e.error ?? {};
    return { ok: false, status: e.status, code: body.code as string, needed: body.needed as string };
  });
}

/**
 * Identical calls, admitted one decision at a time: the k-th is served iff (k-1) settled calls plus its
 * worst case fit the cap. So exactly max{k : (k-1)·actual + worst ≤ cap} are served — fewer would mean a
 * call that fit was refused, more would mean overspend.
 */
function expectedServed(cap: bigint, actual: bigint, worst: bigint): number {
  if (worst > cap) return 0;
  return Number((cap - worst) / actual) + 1;
}

describe('concurrency storms against a USD budget', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  for (const [n, sdk] of [
    [64, 'openai'],
    [256, 'anthropic'],
  ] as const) {
    test(`N=${n} concurrent ${sdk} calls: spend never exceeds the cap, every call that fit was served`, async () => {
      const customer = `storm-${n}`;
      const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
      const model = sdk === 'openai' ? 'gpt-4o-mini' : 'claude-haiku-4-5';
      const provider = sdk === 'openai' ? 'openai' : 'anthropic';
      const usage = { inputTokens: 12, outputTokens: 150 };
      h.standin.setDefault({ kind: 'reply', usage, firstByteDelayMs: 25 });
      const actual = expectedPico(provider, model, { input: 12, output: 150 });
      const maxTokens = 200;
      // Room for about ten calls' worth of actual spend.
      const cap = actual * 10n + actual / 2n;
      await applyPlans(h, {
        [`storm${n}`]: { priceUsd: 10, budget: { unit: 'usd', amount: picoDecimal(cap) } },
      });
      await setPlan(h, customer, `storm${n}`);
      const prompt = 'Classify this support ticket.';
      const calls =
        sdk === 'openai'
          ? Array.from({ length: n }, () =>
              new OpenAI({
                apiKey: key,
                baseURL: `${h.gateway.url}/v1`,
                maxRetries: 0,
              }).chat.completions.create({
                model,
                max_tokens: maxTokens,
                messages: [{ role: 'user', content: prompt }],
              }),
            )
          : Array.from({ length: n }, (_, i) => {
              const client = new Anthropic({ apiKey: key, baseURL: h.gateway.url, maxRetries: 0 });
              const body = {
                model,
                max_tokens: maxTokens,
                messages: [{ role: 'user' as const, content: prompt }],
              };
              // Half of them stream: a stream settles from its final usage event.
              return i % 2 ? client.messages.create(body) : client.messages.stream(body).finalMessage();
            });
      const outcomes = await settleAll(calls);

      const served = outcomes.filter((o) => o.ok).length;
      const refused = outcomes.filter((o) => !o.ok);
      assert.ok(
        refused.every((o) => o.status === 402 && o.code === 'budget_exceeded'),
        `refusals are budget refusals: ${JSON.stringify(refused.find((o) => o.code !== 'budget_exceeded'))}`,
      );
      const spend = await ledgerSpend(h, customer);
      assert.ok(spend <= cap, `spend ${spend} ≤ cap ${cap}`);
      assert.equal(spend, actual * BigInt(served), 'each served call is charged exactly its catalog cost');

      // The worst case the gateway reserved, from its refusal: at least max_tokens at the output price,
      // at most that plus a generous 100 input tokens — reservations are not inflated to refuse early.
      const worst = usdToPico(refused[0]?.needed ?? 'x');
      const outOnly = expectedPico(provider, model, { input: 0, output: maxTokens });
      assert.ok(
        worst >= outOnly && worst <= outOnly + expectedPico(provider, model, { input: 100, output: 0 }),
      );
      assert.equal(served, expectedServed(cap, actual, worst), 'served exactly the calls that fit');
      assert.ok(cap - spend < worst, 'what is left cannot fit another such call');
      const usageRes = await fetch(`${h.gateway.url}/v1/margin/usage`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const u = (await usageRes.json()) as { budget: { used: string; reserved: string } };
      assert.equal(usdToPico(u.budget.used), spend, 'the counters agree with the ledger');
      assert.equal(u.budget.reserved, '0');
    });
  }

  test('N=64 against a prepaid wallet: never overdrawn, every movement a ledger entry', async () => {
    const customer = 'wallet-storm';
    const { key } = await createVirtualKey(h.gateway.store, { customer, now: Date.now() });
    h.standin.setDefault({
      kind: 'reply',
      usage: { inputTokens: 12, outputTokens: 150 },
      firstByteDelayMs: 25,
    });
    const actual = expectedPico('openai', 'gpt-4o-mini', { input: 12, output: 150 });
    const topUp = actual * 6n + actual / 3n;
    const res = (await admin(h, 'POST', `/wallets/${customer}/top-ups`, {
      amount_usd: picoDecimal(topUp),
      reason: 'prepaid pack',
      note: 'INV-1',
    })) as { balance_usd: string };
    assert.equal(usdToPico(res.balance_usd), topUp);
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    const outcomes = await settleAll(
      Array.from({ length: 64 }, () =>
        client.chat.completions.create({
          model: 'gpt-4o-mini',
          max_tokens: 200,
          messages: [{ role: 'user', content: 'Classify this support ticket.' }],
        }),
      ),
    );
    const served = outcomes.filter((o) => o.ok).length;
    const refused = outcomes.filter((o) => !o.ok);
    assert.ok(refused.every((o) => o.status === 402 && o.code === 'wallet_insufficient'));
    const worst = usdToPico(refused[0]?.needed ?? 'x');
    assert.equal(served, expectedServed(topUp, actual, worst));
    const wallet = (await admin(h, 'GET', `/wallets/${customer}`)) as {
      balance_usd: string;
      entries: { amount_usd: string; reason: string; request_id: string | null }[];
    };
    const balance = usdToPico(wallet.balance_usd);
    assert.ok(balance >= 0n, 'never negative');
    assert.equal(balance, topUp - actual * BigInt(served));
    const usageEntries = wallet.entries.filter((e) => e.reason === 'usage');
    assert.equal(usageEntries.length, served, 'one debit per served call');
    assert.ok(usageEntries.every((e) => e.request_id?.startsWith('req_')));
    assert.equal(wallet.entries.filter((e) => e.reason === 'prepaid pack').length, 1);
    const debits = usageEntries.reduce((s, e) => s + usdToPico(e.amount_usd), 0n);
    assert.equal(-debits, await ledgerSpend(h, customer), 'wallet debits equal ledger spend');
  });
});

describe('restart mid-storm: no reservation accounting lost, no queued webhook lost', () => {
  const SECRET = `whsec_${Buffer.from('a-test-secret-of-32-bytes-long!!').toString('base64')}`;
  let standin: Standin;
  let receiver: {
    url: string;
    up: boolean;
    got: { headers: IncomingMessage['headers']; body: string }[];
    close(): void;
  };
  let dir: string;

  before(async () => {
    standin = await startStandin({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'margin-restart-'));
    const got: { headers: IncomingMessage['headers']; body: string }[] = [];
    const state = { up: false };
    const server = createServer(async (req, res) => {
      let body = '';
      for await (const c of req) body += c;
      if (!state.up) return void res.writeHead(503).end();
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receiver = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
      get up() {
        return state.up;
      },
      set up(v: boolean) {
        state.up = v;
      },
      got,
      close: () => server.close(),
    };
  });
  after(async () => {
    receiver.close();
    await standin.close();
  });

  test('SIGKILL while calls hold reservations; the restarted gateway settles them and delivers the event', async () => {
    const db = join(dir, 'ledger.db');
    const out900 = expectedPico('openai', 'gpt-4o-mini', { input: 12, output: 900 });
    const cap = (out900 * 120n) / 100n; // the first call takes ~83%: past the soft threshold
    const setup = new SqliteStore(db);
    await setup.control.upsertPlans(
      {
        metered: {
          priceUsd: '20',
          budget: { unit: 'usd', amount: picoDecimal(cap) },
          soft: { thresholdPercent: 80 },
          hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
          features: {},
          rateLimits: {},
        },
      },
      Date.now(),
    );
    await setup.control.setCustomer({ id: 'acme', plan: 'metered' }, Date.now());
    const { key } = await createVirtualKey(setup, { customer: 'acme', now: Date.now() });
    await setup.close();
    const env = {
      MARGIN_UPSTREAM_OPENAI_URL: `${standin.url}/v1`,
      OPENAI_API_KEY: 'sk-up',
      MARGIN_WEBHOOK_URL: receiver.url,
      MARGIN_WEBHOOK_SECRET: SECRET,
    };
    const proc = await startServe(['--db', db], env);
    const openai = new OpenAI({ apiKey: key, baseURL: `${proc.url}/v1`, maxRetries: 0 });
    let upstreamBefore = 0;
    try {
      standin.enqueue({ kind: 'reply', usage: { inputTokens: 12, outputTokens: 900 } });
      await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        max_tokens: 1000,
        messages: [{ role: 'user', content: 'Write the long report.' }],
      });
      // The soft event is queued; the receiver is down, so its delivery is pending with backoff.
      standin.setDefault({
        kind: 'reply',
        usage: { inputTokens: 12, outputTokens: 40 },
        firstByteDelayMs: 5000,
      });
      upstreamBefore = standin.requests.length;
      const storm = Array.from({ length: 64 }, () =>
        openai.chat.completions
          .create({
            model: 'gpt-4o-mini',
            max_tokens: 50,
            messages: [{ role: 'user', content: 'Short one.' }],
          })
          .catch((e: unknown) => e),
      );
      // Wait until the calls that fit hold reservations, are journaled and sit upstream.
      const deadline = Date.now() + 5000;
      while (standin.requests.length === upstreamBefore && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 200));
      proc.child.kill('SIGKILL');
      await proc.exited;
      await Promise.all(storm);
    } finally {
      proc.child.kill('SIGKILL');
    }
    const held = standin.requests.length - upstreamBefore;
    assert.ok(held > 0, 'calls were in flight with reservations when the gateway died');

    receiver.up = true;
    standin.setDefault({ kind: 'reply', usage: { inputTokens: 12, outputTokens: 40 } });
    const config = loadConfig({ env: { ...env, MARGIN_DB: db }, overrides: { port: 0 } });
    const gw = await startGateway(config, { log: () => {} });
    try {
      await gw.writer.drain(); // the journal's replay reaches the ledger in the background
      const rows = await gw.store.requests({ customer: 'acme', limit: 1000 });
      const orphans = rows.filter((r) => r.errorCode === 'gateway_restarted');
      assert.equal(orphans.length, held, 'each orphan is in the ledger once');
      const inputCost = expectedPico('openai', 'gpt-4o-mini', { input: 1, output: 0 });
      assert.ok(
        orphans.every(
          (r) =>
            r.estimated &&
            r.inputTokens > 0 &&
            BigInt(r.costPico ?? -1) === inputCost * BigInt(r.inputTokens),
        ),
      );
      const spend = rows.reduce((s, r) => s + BigInt(r.costPico ?? 0), 0n);
      assert.ok(spend <= cap, 'no overspend across the crash');
      // The budget left is usable at once: no reservation leaked.
      const after = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
      await after.chat.completions.create({
        model: 'gpt-4o-mini',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'Short one.' }],
      });
      // The webhook queued before the crash is delivered after it, signed per Standard Webhooks.
      const until = Date.now() + 10_000;
      while (receiver.got.length === 0 && Date.now() < until) {
        await gw.deliverWebhooks();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(receiver.got.length, 1);
      const hook = receiver.got[0];
      const verified = new Webhook(SECRET).verify(
        hook?.body ?? '',
        hook?.headers as Record<string, string>,
      ) as {
        type: string;
        data: { customer: string; plan: string };
      };
      assert.equal(verified.type, 'budget.soft_reached');
      assert.equal(verified.data.customer, 'acme');
      assert.equal(verified.data.plan, 'metered');
    } finally {
      await gw.close();
    }
  });
});

/** Integer pico-USD → the exact decimal USD string a plan accepts. */
