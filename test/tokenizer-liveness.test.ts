// One prompt must not freeze the gateway for everyone: a 1 MB run of one character is counted at admission
// (plan customers) and in the estimate of an aborted stream, while other clients' calls and /healthz keep
// answering. Before linear counting, 20,000 characters blocked the event loop for ~25 s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import { eventually, type Harness, startHarness } from './helpers/harness.js';
import { applyPlans, setPlan } from './helpers/limits.js';

const MB = 1024 * 1024;
const HUGE = 'a'.repeat(MB);
// A correctness guard, not a benchmark: generous on a loaded machine, far below the seconds it used to take.
const MAX_WAIT_MS = 1000;

const PING = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'ping' }], max_tokens: 5 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keeps a small task running in a loop and records the slowest round trip until stopped. */
function keepCalling(call: () => Promise<unknown>) {
  let stopped = false;
  let worst = 0;
  let calls = 0;
  const loop = (async () => {
    while (!stopped) {
      const t = performance.now();
      await call();
      worst = Math.max(worst, performance.now() - t);
      calls++;
      await sleep(10);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { worst, calls };
    },
  };
}

describe('a 1 MB prompt of one repeated character', () => {
  let h: Harness;
  let other: OpenAI;
  let watchers: ReturnType<typeof keepCalling>[];

  before(async () => {
    h = await startHarness();
    await applyPlans(h, { pro: { priceUsd: 99, budget: { unit: 'usd', amount: 1000 } } });
    await setPlan(h, 'acme', 'pro', { cycle_day: 1 });
    const { key } = await createVirtualKey(h.gateway.store, { customer: 'globex', now: Date.now() });
    other = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    // Warm both paths once: a first call's start-up is not what is measured here.
    await other.chat.completions.create(PING);
    await h.openai.chat.completions.create(PING);
  });
  after(() => h.close());

  const startWatching = () => {
    watchers = [
      keepCalling(async () => {
        const res = await fetch(`${h.gateway.url}/healthz`);
        assert.equal(res.status, 200);
        await res.text();
      }),
      keepCalling(async () => {
        const r = await other.chat.completions.create(PING);
        assert.equal(r.object, 'chat.completion');
      }),
    ];
  };
  const assertStillAnswering = async () => {
    const [health, calls] = await Promise.all(watchers.map((w) => w.stop()));
    assert.ok(health && health.calls > 0 && calls && calls.calls > 0, 'the watchers ran');
    assert.ok(health.worst < MAX_WAIT_MS, `a health check waited ${Math.round(health.worst)} ms`);
    assert.ok(calls.worst < MAX_WAIT_MS, `another client's call waited ${Math.round(calls.worst)} ms`);
  };

  test('admission counts it (OpenAI) while others keep being answered', async () => {
    startWatching();
    await sleep(50);
    const r = await h.openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: HUGE }],
      max_tokens: 20,
    });
    assert.equal(r.object, 'chat.completion');
    await sleep(50);
    await assertStillAnswering();
    const sent = h.standin.requests.find((q) => q.rawBody.length > MB);
    assert.ok(sent, 'the prompt reached upstream whole');
  });

  test('admission counts it (Anthropic) while others keep being answered', async () => {
    const anthropic = new Anthropic({ apiKey: h.key, baseURL: h.gateway.url, maxRetries: 0 });
    startWatching();
    await sleep(50);
    const r = await anthropic.messages.create({
      model: 'claude-sonnet-4-6',
      messages: [{ role: 'user', content: HUGE }],
      max_tokens: 20,
    });
    assert.equal(r.type, 'message');
    await sleep(50);
    await assertStillAnswering();
  });

  test('an aborted stream estimates it (never below the true count) while others keep being answered', async () => {
    // Chosen by header, not queued: the other client's calls would take a queued scenario.
    const slow = {
      kind: 'reply',
      text: 'alpha beta gamma delta epsilon zeta eta theta iota kappa',
      chunkDelayMs: 40,
    };
    startWatching();
    const controller = new AbortController();
    const stream = await h.openai.chat.completions.create(
      { model: 'gpt-4o', messages: [{ role: 'user', content: HUGE }], stream: true, max_tokens: 50 },
      { signal: controller.signal, headers: { 'x-standin-scenario': JSON.stringify(slow) } },
    );
    let received = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 2) controller.abort();
      }
    } catch {
      // The SDK may end quietly or raise on abort; either way the client is gone.
    }
    assert.equal(received, 2);
    const row = await eventually(async () => {
      const r = (await h.rows()).find((x) => x.customer === 'acme' && x.status === 499);
      assert.ok(r, 'the aborted call has its row');
      return r;
    });
    await sleep(50);
    await assertStillAnswering();
    assert.equal(row.estimated, true);
    // Eight "a"s make one o200k token, so the true count is MB / 8; the bound is one token per byte.
    assert.ok(row.inputTokens >= MB / 8 && row.inputTokens <= MB, `input estimate ${row.inputTokens}`);
  });
});
