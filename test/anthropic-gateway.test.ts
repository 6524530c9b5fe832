import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { catalogUsd, expectedPico } from './helpers/expected-cost.js';
import { eventually, type Harness, startHarness, UPSTREAM_ANTHROPIC_KEY } from './helpers/harness.js';

const MODEL = 'claude-sonnet-4-6';
const base = { model: MODEL, max_tokens: 512, messages: [{ role: 'user' as const, content: 'Hi' }] };

describe('Anthropic Messages through Margin (official @anthropic-ai/sdk)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());
  beforeEach(() => h.standin.reset());

  test('JSON call with x-api-key auth: body untouched, row exact', async () => {
    h.standin.enqueue({
      kind: 'reply',
      text: 'Bonjour tout le monde',
      usage: { inputTokens: 900, outputTokens: 12 },
    });
    const msg = await h.anthropic.messages.create(base);
    const block = msg.content[0];
    assert.ok(block && block.type === 'text');
    assert.equal(block.text, 'Bonjour tout le monde');
    const sent = h.standin.requests.at(-1);
    assert.equal(sent?.headers['x-api-key'], UPSTREAM_ANTHROPIC_KEY);
    assert.ok(sent?.headers['anthropic-version'], 'anthropic-version forwarded');
    assert.ok(!JSON.stringify(sent?.headers).includes(h.key), 'virtual key leaked upstream');
    const row = await h.lastRow();
    assert.equal(row.provider, 'anthropic');
    assert.equal(row.protocol, 'anthropic');
    assert.equal(row.inputTokens, 900);
    assert.equal(row.outputTokens, 12);
    assert.equal(BigInt(row.costPico ?? -1), expectedPico('anthropic', MODEL, { input: 900, output: 12 }));
  });

  test('cache writes (5m and 1h) and reads are each priced at their own rate, never double-charged', async () => {
    const usage = {
      inputTokens: 40,
      cacheCreation5m: 3000,
      cacheCreation1h: 2000,
      cacheRead: 10_000,
      outputTokens: 200,
    };
    h.standin.enqueue({ kind: 'reply', usage });
    const msg = await h.anthropic.messages.create({
      ...base,
      system: [
        { type: 'text', text: 'Long shared context', cache_control: { type: 'ephemeral', ttl: '1h' } },
      ],
    });
    assert.equal(msg.usage.cache_read_input_tokens, 10_000);
    const sent = h.standin.requests.at(-1)?.body as { system?: { cache_control?: unknown }[] } | undefined;
    assert.deepEqual(sent?.system?.[0]?.cache_control, { type: 'ephemeral', ttl: '1h' });
    const row = await h.lastRow();
    assert.equal(row.inputTokens, 40);
    assert.equal(row.cacheWrite5mTokens, 3000);
    assert.equal(row.cacheWrite1hTokens, 2000);
    assert.equal(row.cacheReadTokens, 10_000);
    const expected = expectedPico('anthropic', MODEL, {
      input: 40,
      cacheWrite5m: 3000,
      cacheWrite1h: 2000,
      cacheRead: 10_000,
      output: 200,
    });
    assert.equal(BigInt(row.costPico ?? -1), expected);
    // genai-prices' own calculator agrees (its input_tokens include cache tokens).
    const usd = catalogUsd('anthropic', MODEL, {
      input_tokens: 40 + 3000 + 2000 + 10_000,
      cache_write_tokens: 5000,
      cache_write_1h_tokens: 2000,
      cache_read_tokens: 10_000,
      output_tokens: 200,
    });
    assert.ok(Math.abs(Number(expected) / 1e12 - usd) < 1e-12, `${Number(expected) / 1e12} vs ${usd}`);
  });

  test('stream: events arrive in order, usage from message_start + message_delta is metered', async () => {
    h.standin.enqueue({
      kind: 'reply',
      text: 'one two three',
      usage: { inputTokens: 77, cacheRead: 500, outputTokens: 3 },
    });
    const stream = h.anthropic.messages.stream(base);
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.ok(types.includes('message_delta'));
    assert.equal(final.usage.output_tokens, 3);
    const row = await h.lastRow();
    assert.equal(row.streamed, true);
    assert.equal(row.inputTokens, 77);
    assert.equal(row.cacheReadTokens, 500);
    assert.equal(row.outputTokens, 3);
    assert.equal(row.estimated, false);
    assert.equal(
      BigInt(row.costPico ?? -1),
      expectedPico('anthropic', MODEL, { input: 77, cacheRead: 500, output: 3 }),
    );
  });

  test('stream bytes are exactly what the upstream sent', async () => {
    const scenario = {
      kind: 'reply' as const,
      text: 'exact bytes please',
      usage: { inputTokens: 5, outputTokens: 3 },
    };
    const body = JSON.stringify({ ...base, stream: true });
    const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' };
    h.standin.enqueue(scenario);
    const direct = await (
      await fetch(`${h.standin.url}/v1/messages`, {
        method: 'POST',
        headers: { ...headers, 'x-api-key': 'k' },
        body,
      })
    ).text();
    h.standin.enqueue(scenario);
    const via = await (
      await fetch(`${h.gateway.url}/v1/messages`, {
        method: 'POST',
        headers: { ...headers, 'x-api-key': h.key },
        body,
      })
    ).text();
    // Ids differ per call; everything else must match byte for byte.
    const norm = (s: string) => s.replace(/"(msg|toolu)_[A-Za-z0-9]+"/g, '"ID"');
    assert.equal(norm(via), norm(direct));
  });

  test('tool use and extended thinking, JSON and streamed', async () => {
    const tools = [
      { name: 'lookup', description: 'x', input_schema: { type: 'object' as const, properties: {} } },
    ];
    h.standin.enqueue({
      kind: 'reply',
      thinking: 'Let me think.',
      toolCall: { name: 'lookup', arguments: { q: 'margin' } },
    });
    const msg = await h.anthropic.messages.create({
      ...base,
      tools,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    assert.equal(msg.stop_reason, 'tool_use');
    const tool = msg.content.find((b) => b.type === 'tool_use');
    assert.ok(tool && tool.type === 'tool_use');
    assert.deepEqual(tool.input, { q: 'margin' });
    assert.ok(msg.content.some((b) => b.type === 'thinking'));
    const sent = h.standin.requests.at(-1)?.body as { thinking?: unknown } | undefined;
    assert.deepEqual(sent?.thinking, { type: 'enabled', budget_tokens: 1024 });

    h.standin.enqueue({
      kind: 'reply',
      thinking: 'Hmm.',
      toolCall: { name: 'lookup', arguments: { q: 'stream' } },
    });
    const final = await h.anthropic.messages.stream({ ...base, tools }).finalMessage();
    const streamedTool = final.content.find((b) => b.type === 'tool_use');
    assert.ok(streamedTool && streamedTool.type === 'tool_use');
    assert.deepEqual(streamedTool.input, { q: 'stream' });
  });

  test('count_tokens is forwarded and not billed', async () => {
    const before = (await h.rows()).length;
    const r = await h.anthropic.messages.countTokens({ model: MODEL, messages: base.messages });
    assert.ok(r.input_tokens > 0);
    assert.equal(h.standin.requests.at(-1)?.path, '/v1/messages/count_tokens');
    assert.equal((await h.rows()).length, before);
  });

  test('errors come back as Anthropic typed errors', async () => {
    h.standin.enqueue({ kind: 'error', status: 529 });
    await assert.rejects(h.anthropic.messages.create(base), (e: unknown) => {
      assert.ok(e instanceof Anthropic.APIError);
      assert.equal(e.status, 529);
      return true;
    });
    h.standin.enqueue({ kind: 'error', status: 429, retryAfter: '3' });
    await assert.rejects(h.anthropic.messages.create(base), Anthropic.RateLimitError);
    const bad = new Anthropic({ apiKey: 'mk_wrong', baseURL: h.gateway.url, maxRetries: 0 });
    await assert.rejects(bad.messages.create(base), Anthropic.AuthenticationError);
    await assert.rejects(
      h.anthropic.messages.create({ ...base, model: 'mystery-model' as typeof MODEL }),
      Anthropic.NotFoundError,
    );
    const { max_tokens: _omit, ...noMax } = base;
    await assert.rejects(h.anthropic.messages.create(noMax as typeof base), (e: unknown) => {
      assert.ok(e instanceof Anthropic.BadRequestError);
      assert.match(e.message, /max_tokens/);
      return true;
    });
  });

  test('client abort: input from message_start, output estimated from delivered text', async () => {
    h.standin.enqueue({
      kind: 'reply',
      text: 'w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12',
      chunkDelayMs: 40,
      usage: { inputTokens: 1234, cacheRead: 100, outputTokens: 12 },
    });
    const stream = h.anthropic.messages.stream(base);
    let deltas = 0;
    stream.on('text', () => {
      deltas++;
      if (deltas === 4) stream.abort();
    });
    await assert.rejects(stream.finalMessage());
    const row = await eventually(async () => {
      const r = await h.lastRow();
      assert.equal(r.status, 499);
      return r;
    });
    assert.equal(row.estimated, true);
    assert.equal(row.inputTokens, 1234, 'exact input from message_start');
    assert.equal(row.cacheReadTokens, 100);
    assert.ok(row.outputTokens >= 4, `output estimated from ${deltas} deltas, got ${row.outputTokens}`);
    assert.ok((row.costPico ?? 0) > 0);
  });

  test('mid-stream error event passes through and the SDK raises', async () => {
    h.standin.enqueue({
      kind: 'stream-error',
      afterEvents: 3,
      type: 'overloaded_error',
      message: 'Overloaded',
    });
    await assert.rejects(h.anthropic.messages.stream(base).finalMessage(), /Overloaded/);
    const row = await h.lastRow();
    assert.equal(row.errorCode, 'overloaded_error');
  });

  test('upstream drop mid-stream: the SDK raises, the row is estimated', async () => {
    h.standin.enqueue({ kind: 'reply', text: 'a b c d e f', dropAfterEvents: 5, usage: { inputTokens: 60 } });
    await assert.rejects(h.anthropic.messages.stream(base).finalMessage());
    const row = await h.lastRow();
    assert.equal(row.errorCode, 'upstream_disconnected');
    assert.equal(row.inputTokens, 60);
    assert.equal(row.estimated, true);
  });
});
