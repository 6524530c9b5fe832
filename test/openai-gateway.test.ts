import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import OpenAI from 'openai';
import { catalogUsd, expectedPico } from './helpers/expected-cost.js';
import { eventually, type Harness, startHarness, UPSTREAM_OPENAI_KEY } from './helpers/harness.js';

const MODEL = 'gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Say hello.' }];

describe('OpenAI Chat Completions through Margin (official openai SDK)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());
  beforeEach(() => h.standin.reset());

  test('JSON call: response is the upstream body, ledger row exact', async () => {
    h.standin.enqueue({
      kind: 'reply',
      text: 'Hello there friend',
      usage: { inputTokens: 1200, outputTokens: 34 },
    });
    const r = await h.openai.chat.completions.create({ model: MODEL, messages });
    assert.equal(r.choices[0]?.message.content, 'Hello there friend');
    assert.equal(r.usage?.prompt_tokens, 1200);
    const row = await h.lastRow();
    assert.equal(row.customer, 'acme');
    assert.equal(row.provider, 'openai');
    assert.equal(row.modelRequested, MODEL);
    assert.equal(row.inputTokens, 1200);
    assert.equal(row.outputTokens, 34);
    assert.equal(row.streamed, false);
    assert.equal(row.status, 200);
    assert.equal(row.estimated, false);
    assert.equal(BigInt(row.costPico ?? -1), expectedPico('openai', MODEL, { input: 1200, output: 34 }));
    const usd = catalogUsd('openai', MODEL, { input_tokens: 1200, output_tokens: 34 });
    assert.ok(Math.abs(Number(row.costPico) / 1e12 - usd) < 1e-12);
  });

  test('upstream receives every client field, the provider key, and never the virtual key', async () => {
    await h.openai.chat.completions.create({
      model: MODEL,
      messages,
      temperature: 0.3,
      seed: 7,
      user: 'end-user-1',
      metadata: { a: 'b' },
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    const sent = h.standin.requests.at(-1);
    assert.ok(sent);
    const body = sent.body as Record<string, unknown>;
    assert.equal(body.temperature, 0.3);
    assert.equal(body.seed, 7);
    assert.equal(body.user, 'end-user-1');
    assert.deepEqual(body.metadata, { a: 'b' });
    assert.equal(sent.headers.authorization, `Bearer ${UPSTREAM_OPENAI_KEY}`);
    assert.ok(!JSON.stringify(sent.headers).includes(h.key), 'virtual key leaked upstream');
    // Non-streamed bodies go upstream byte for byte.
    assert.deepEqual(JSON.parse(sent.rawBody), body);
  });

  test('stream without include_usage: client sees no usage chunk, ledger still exact', async () => {
    h.standin.enqueue({
      kind: 'reply',
      text: 'one two three four',
      usage: { inputTokens: 50, outputTokens: 4 },
    });
    const stream = await h.openai.chat.completions.create({ model: MODEL, messages, stream: true });
    let text = '';
    let sawUsage = false;
    let sawUsageField = false;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) sawUsage = true;
      if ('usage' in chunk) sawUsageField = true;
    }
    assert.equal(text.trim().replace(/\s+/g, ' '), 'one two three four');
    assert.equal(sawUsage, false, 'client got a usage chunk it did not ask for');
    assert.equal(sawUsageField, false, 'client got usage:null fields it did not ask for');
    // The gateway asked upstream for usage on the client's behalf.
    const sent = h.standin.requests.at(-1)?.body as { stream_options?: { include_usage?: boolean } };
    assert.equal(sent.stream_options?.include_usage, true);
    // …and changed nothing else the client sent.
    assert.deepEqual(sent, { model: MODEL, messages, stream: true, stream_options: { include_usage: true } });
    const row = await h.lastRow();
    assert.equal(row.streamed, true);
    assert.equal(row.inputTokens, 50);
    assert.equal(row.outputTokens, 4);
    assert.equal(row.estimated, false);
    assert.ok(row.ttftMs !== null && row.ttftMs >= 0);
    assert.equal(BigInt(row.costPico ?? -1), expectedPico('openai', MODEL, { input: 50, output: 4 }));
  });

  test('stream with include_usage: client gets the usage chunk; cached and reasoning tokens metered', async () => {
    h.standin.enqueue({
      kind: 'reply',
      usage: { inputTokens: 2000, cachedTokens: 1500, outputTokens: 120, reasoningTokens: 80 },
    });
    const stream = await h.openai.chat.completions.create({
      model: MODEL,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    assert.equal(usage?.prompt_tokens, 2000);
    assert.equal(usage?.prompt_tokens_details?.cached_tokens, 1500);
    const row = await h.lastRow();
    assert.equal(row.inputTokens, 500, 'fresh input = prompt - cached');
    assert.equal(row.cacheReadTokens, 1500);
    assert.equal(row.outputTokens, 120);
    assert.equal(row.reasoningTokens, 80);
    assert.equal(
      BigInt(row.costPico ?? -1),
      expectedPico('openai', MODEL, { input: 500, cacheRead: 1500, output: 120 }),
      'cache reads priced at the cache-read rate, reasoning not charged twice',
    );
  });

  test('tools: JSON and streamed tool calls arrive intact', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      },
    ];
    h.standin.enqueue({ kind: 'reply', toolCall: { name: 'get_weather', arguments: { city: 'Paris' } } });
    const r = await h.openai.chat.completions.create({ model: MODEL, messages, tools });
    const call = r.choices[0]?.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Paris' });
    assert.deepEqual((h.standin.requests.at(-1)?.body as { tools?: unknown } | undefined)?.tools, tools);

    h.standin.enqueue({ kind: 'reply', toolCall: { name: 'get_weather', arguments: { city: 'Oslo' } } });
    const runner = h.openai.chat.completions.stream({ model: MODEL, messages, tools });
    const final = await runner.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    assert.ok(streamed && streamed.type === 'function');
    assert.deepEqual(JSON.parse(streamed.function.arguments), { city: 'Oslo' });
    assert.equal(final.choices[0]?.finish_reason, 'tool_calls');
  });

  test('upstream 429 and 500 pass through as the SDK’s typed errors, recorded at $0', async () => {
    h.standin.enqueue({ kind: 'error', status: 429, message: 'Slow down', retryAfter: '7' });
    await assert.rejects(h.openai.chat.completions.create({ model: MODEL, messages }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError);
      assert.equal(e.status, 429);
      assert.match(e.message, /Slow down/);
      assert.equal(e.headers?.get('retry-after'), '7');
      return true;
    });
    const row = await h.lastRow();
    assert.equal(row.status, 429);
    assert.equal(row.costPico, 0);
    assert.ok(row.errorCode);

    h.standin.enqueue({ kind: 'error', status: 500 });
    await assert.rejects(
      h.openai.chat.completions.create({ model: MODEL, messages }),
      OpenAI.InternalServerError,
    );
  });

  test('bad key, missing key, unknown model: OpenAI-shaped errors', async () => {
    const bad = new OpenAI({ apiKey: 'mk_not-a-real-key', baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: MODEL, messages }), OpenAI.AuthenticationError);
    await assert.rejects(
      h.openai.chat.completions.create({ model: 'no-such-model', messages }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.NotFoundError);
        assert.match(e.message, /no-such-model/);
        return true;
      },
    );
    assert.equal(h.standin.requests.length, 0, 'nothing reached upstream');
  });

  test('bad JSON, missing field and oversized body name the problem', async () => {
    const post = (body: string) =>
      fetch(`${h.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.key}`, 'content-type': 'application/json' },
        body,
      });
    const r1 = await post('{"model": "gpt-4o-mini", "messages": [');
    assert.equal(r1.status, 400);
    const e1 = (await r1.json()) as { error: { type: string; code: string } };
    assert.equal(e1.error.code, 'invalid_json');
    assert.equal(e1.error.type, 'invalid_request_error');
    const r2 = await post('{"model": "gpt-4o-mini"}');
    assert.equal(r2.status, 400);
    const e2 = (await r2.json()) as { error: { message: string; param: string } };
    assert.equal(e2.error.param, 'messages');
    const r3 = await post(
      JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'x'.repeat(33 * 1024 * 1024) }] }),
    );
    assert.equal(r3.status, 413);
    assert.match(((await r3.json()) as { error: { message: string } }).error.message, /too large/);
  });

  test('unknown-but-routable model is recorded unpriced, never $0', async () => {
    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 5 } });
    await h.openai.chat.completions.create({ model: 'gpt-99-imaginary', messages });
    const row = await h.lastRow();
    assert.equal(row.unpriced, true);
    assert.equal(row.costPico, null);
    assert.equal(row.inputTokens, 10);
  });

  test('served model is the one priced', async () => {
    h.standin.enqueue({
      kind: 'reply',
      model: 'gpt-4o-2024-08-06',
      usage: { inputTokens: 100, outputTokens: 10 },
    });
    await h.openai.chat.completions.create({ model: 'gpt-4o', messages });
    const row = await h.lastRow();
    assert.equal(row.modelServed, 'gpt-4o-2024-08-06');
    assert.equal(
      BigInt(row.costPico ?? -1),
      expectedPico('openai', 'gpt-4o-2024-08-06', { input: 100, output: 10 }),
    );
  });

  test('client abort mid-stream is still charged, flagged estimated', async () => {
    h.standin.enqueue({
      kind: 'reply',
      text: 'alpha beta gamma delta epsilon zeta eta theta iota kappa',
      chunkDelayMs: 40,
      usage: { inputTokens: 300, outputTokens: 10 },
    });
    const controller = new AbortController();
    const stream = await h.openai.chat.completions.create(
      { model: MODEL, messages, stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    try {
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta.content) received++;
        if (received === 3) controller.abort();
      }
    } catch {
      // The SDK may end quietly or raise on abort; either way the client is gone.
    }
    assert.equal(received, 3);
    const row = await eventually(async () => {
      const r = await h.lastRow();
      assert.equal(r.status, 499);
      return r;
    });
    assert.equal(row.estimated, true);
    assert.equal(row.errorCode, 'client_closed');
    assert.ok(row.outputTokens >= 3, `charged for delivered tokens, got ${row.outputTokens}`);
    assert.ok(row.inputTokens > 0, 'input estimated from the request');
    assert.ok((row.costPico ?? 0) > 0, 'an aborted stream is never free');
  });

  test('upstream drops the stream: SDK raises, row estimated with upstream_disconnected', async () => {
    h.standin.enqueue({ kind: 'reply', text: 'a b c d e f g h', dropAfterEvents: 4 });
    const stream = await h.openai.chat.completions.create({ model: MODEL, messages, stream: true });
    await assert.rejects(async () => {
      for await (const _ of stream);
    });
    const row = await h.lastRow();
    assert.equal(row.errorCode, 'upstream_disconnected');
    assert.equal(row.estimated, true);
    assert.ok((row.costPico ?? 0) > 0);
  });

  test('GET /v1/models lists catalog models', async () => {
    const ids: string[] = [];
    for await (const m of h.openai.models.list()) ids.push(m.id);
    assert.ok(ids.includes('gpt-4o-mini'));
    assert.ok(ids.some((id) => id.startsWith('claude-')));
  });
});
