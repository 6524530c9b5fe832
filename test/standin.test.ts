// The stand-in driven by the official SDKs (what the gateway tests rely on) plus raw fetch for byte-level checks.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { DEFAULT_TEXT, estimateInputTokens, type Scenario } from '../src/standin/scenario.js';
import { type Standin, startStandin } from '../src/standin/server.js';

let s: Standin;
let oa: OpenAI;
let an: Anthropic;
const MSGS = [{ role: 'user' as const, content: 'Say hello' }];
const EST = estimateInputTokens(MSGS);
const WORDS = DEFAULT_TEXT.split(' ').length;
const AH = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
const OH = { authorization: 'Bearer k', 'content-type': 'application/json' };

before(async () => {
  s = await startStandin();
  oa = new OpenAI({ apiKey: 'sk-test', baseURL: `${s.url}/v1`, maxRetries: 0 });
  an = new Anthropic({ apiKey: 'sk-ant-test', baseURL: s.url, maxRetries: 0 });
});
after(() => s.close());
beforeEach(() => s.reset());

async function chunks(opts: { include?: boolean; scenario?: Scenario } = {}) {
  if (opts.scenario) s.enqueue(opts.scenario);
  const stream = await oa.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: MSGS,
    stream: true,
    ...(opts.include === undefined ? {} : { stream_options: { include_usage: opts.include } }),
  });
  const out: ChatCompletionChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

const post = (path: string, headers: Record<string, string>, body: unknown) =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('openai', () => {
  test('JSON completion with consistent default usage and x-request-id', async () => {
    const { data, response } = await oa.chat.completions
      .create({ model: 'gpt-4o-mini', messages: MSGS })
      .withResponse();
    assert.equal(data.object, 'chat.completion');
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(data.model, 'gpt-4o-mini');
    assert.equal(data.choices[0]?.message.content, DEFAULT_TEXT);
    assert.equal(data.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(
      [data.usage?.prompt_tokens, data.usage?.completion_tokens, data.usage?.total_tokens],
      [EST, WORDS, EST + WORDS],
    );
    assert.match(response.headers.get('x-request-id') ?? '', /^req_/);
  });

  test('stream without include_usage: one word per chunk, no usage field at all', async () => {
    const out = await chunks();
    assert.deepEqual(out[0]?.choices[0]?.delta, { role: 'assistant', content: '', refusal: null });
    assert.equal(out.map((c) => c.choices[0]?.delta.content ?? '').join(''), DEFAULT_TEXT);
    assert.equal(out.length, WORDS + 2);
    assert.equal(out.at(-1)?.choices[0]?.finish_reason, 'stop');
    assert.ok(out.every((c) => !('usage' in c) && c.choices.length === 1));
  });

  test('stream with include_usage: usage null on every chunk, then a choices:[] usage chunk', async () => {
    const usage = { inputTokens: 1000, cachedTokens: 600, outputTokens: 50, reasoningTokens: 20 };
    const out = await chunks({
      include: true,
      scenario: { kind: 'reply', usage, model: 'gpt-4o-mini-2024-07-18' },
    });
    const last = out.at(-1)!;
    assert.ok(out.slice(0, -1).every((c) => c.usage === null && c.choices.length === 1));
    assert.deepEqual(last.choices, []);
    assert.equal(last.model, 'gpt-4o-mini-2024-07-18');
    assert.equal(last.usage?.prompt_tokens, 1000);
    assert.equal(last.usage?.completion_tokens, 50);
    assert.equal(last.usage?.total_tokens, 1050);
    assert.equal(last.usage?.prompt_tokens_details?.cached_tokens, 600);
    assert.equal(last.usage?.completion_tokens_details?.reasoning_tokens, 20);
  });

  test('include_usage false sends no usage chunk; omitUsage drops it even when asked', async () => {
    assert.ok((await chunks({ include: false })).every((c) => c.choices.length === 1));
    const broken = await chunks({ include: true, scenario: { kind: 'reply', omitUsage: true } });
    assert.ok(broken.every((c) => c.choices.length === 1 && c.usage === null));
  });

  test('tool call: streamed deltas assemble into the call, JSON carries it too', async () => {
    const toolCall = { id: 'call_abc', name: 'get_weather', arguments: { city: 'Paris', days: 3 } };
    s.enqueue({ kind: 'reply', toolCall }, { kind: 'reply', toolCall });
    const stream = oa.chat.completions.stream({ model: 'gpt-4o', messages: MSGS });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    assert.equal(final.choices[0]?.finish_reason, 'tool_calls');
    assert.ok(call?.type === 'function');
    assert.equal(call.id, 'call_abc');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), toolCall.arguments);
    const json = await oa.chat.completions.create({ model: 'gpt-4o', messages: MSGS });
    assert.equal(json.choices[0]?.message.content, null);
    const jcall = json.choices[0]?.message.tool_calls?.[0];
    assert.ok(jcall?.type === 'function');
    assert.deepEqual(JSON.parse(jcall.function.arguments), toolCall.arguments);
  });

  test('429 surfaces as RateLimitError with retry-after and rate_limit_exceeded', async () => {
    s.enqueue({ kind: 'error', status: 429, retryAfter: '7' });
    const err = await oa.chat.completions
      .create({ model: 'gpt-4o', messages: MSGS })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError);
    assert.equal(err.status, 429);
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.equal(err.headers.get('retry-after'), '7');
    assert.match(err.requestID ?? '', /^req_/);
  });

  test('mid-stream error and dropped stream both make the SDK throw after partial output', async () => {
    for (const scenario of [
      { kind: 'stream-error', afterEvents: 2, message: 'boom' },
      { kind: 'reply', dropAfterEvents: 2 },
    ] satisfies Scenario[]) {
      s.enqueue(scenario);
      const stream = await oa.chat.completions.create({ model: 'gpt-4o', messages: MSGS, stream: true });
      let n = 0;
      const err = await (async () => {
        for await (const _ of stream) n++;
      })().catch((e: unknown) => e);
      assert.ok(err instanceof Error, `${scenario.kind} should throw`);
      if (scenario.kind === 'stream-error')
        assert.ok(err instanceof OpenAI.APIError && /boom/.test(err.message));
      assert.equal(n, 2);
    }
  });

  test('raw bytes: compact `data: <json>\\n\\n` frames ending in [DONE]', async () => {
    const r = await post('/v1/chat/completions', OH, { model: 'm', messages: MSGS, stream: true });
    assert.equal(r.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const text = await r.text();
    const frames = text.split('\n\n').slice(0, -1);
    assert.equal(frames.at(-1), 'data: [DONE]');
    assert.match(
      frames[0]!,
      /^data: \{"id":"chatcmpl-[^"]+","object":"chat.completion.chunk","created":\d+,"model":"m",/,
    );
    for (const f of frames.slice(0, -1)) assert.equal(f, `data: ${JSON.stringify(JSON.parse(f.slice(6)))}`);
  });

  test('auth, bad JSON, missing fields, stream_options without stream, unknown path', async () => {
    const noAuth = await post('/v1/chat/completions', { 'content-type': 'application/json' }, {});
    assert.equal(noAuth.status, 401);
    assert.equal(((await noAuth.json()) as { error: { type: string } }).error.type, 'invalid_request_error');
    assert.equal((await post('/v1/chat/completions', OH, '{nope')).status, 400);
    const miss = await post('/v1/chat/completions', OH, { model: 'm' });
    assert.deepEqual(((await miss.json()) as { error: { param: string } }).error.param, 'messages');
    const so = await post('/v1/chat/completions', OH, { model: 'm', messages: MSGS, stream_options: {} });
    assert.equal(so.status, 400);
    const nf = await post('/v1/nope', OH, {});
    assert.equal(nf.status, 404);
    assert.deepEqual(await nf.json(), {
      error: {
        message: 'Invalid URL (POST /v1/nope)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  test('models list', async () => {
    const ids: string[] = [];
    for await (const m of oa.models.list()) ids.push(m.id);
    assert.ok(ids.includes('gpt-4o-mini'));
  });
});

describe('anthropic', () => {
  const params = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: MSGS };

  test('JSON message with default usage and request-id', async () => {
    const { data, response } = await an.messages.create(params).withResponse();
    assert.equal(data.type, 'message');
    assert.match(data.id, /^msg_01/);
    assert.equal(data.model, 'claude-sonnet-4-5');
    assert.deepEqual(data.content, [{ type: 'text', text: DEFAULT_TEXT }]);
    assert.equal(data.stop_reason, 'end_turn');
    assert.equal(data.usage.input_tokens, EST);
    assert.equal(data.usage.output_tokens, WORDS);
    assert.equal(data.usage.cache_read_input_tokens, 0);
    assert.match(response.headers.get('request-id') ?? '', /^req_/);
  });

  test('stream: text deltas, cache usage from message_start, final output_tokens from message_delta', async () => {
    const usage = {
      inputTokens: 12,
      cacheRead: 3000,
      cacheCreation5m: 100,
      cacheCreation1h: 50,
      outputTokens: 77,
    };
    s.enqueue({ kind: 'reply', usage, text: 'one two three' });
    const stream = an.messages.stream(params);
    const types: string[] = [];
    const texts: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    stream.on('text', (t) => texts.push(t));
    const msg = await stream.finalMessage();
    assert.deepEqual(texts, ['one', ' two', ' three']);
    assert.equal(types[0], 'message_start');
    assert.deepEqual(types.slice(-2), ['message_delta', 'message_stop']);
    assert.equal(msg.usage.input_tokens, 12);
    assert.equal(msg.usage.output_tokens, 77);
    assert.equal(msg.usage.cache_read_input_tokens, 3000);
    assert.equal(msg.usage.cache_creation_input_tokens, 150);
    assert.deepEqual(msg.usage.cache_creation, {
      ephemeral_5m_input_tokens: 100,
      ephemeral_1h_input_tokens: 50,
    });
  });

  test('JSON and stream report the same usage for the same scenario', async () => {
    const sc: Scenario = { kind: 'reply', usage: { cacheRead: 9, cacheCreation1h: 4 } };
    s.enqueue(sc, sc);
    const json = await an.messages.create(params);
    const streamed = await an.messages.stream(params).finalMessage();
    assert.deepEqual(streamed.usage, json.usage);
    assert.equal(json.usage.output_tokens, WORDS);
  });

  test('thinking then text then tool_use, streamed and JSON', async () => {
    const sc: Scenario = {
      kind: 'reply',
      thinking: 'User wants weather.',
      text: 'Let me check.',
      toolCall: { name: 'get_weather', arguments: { city: 'Paris', units: 'metric' } },
    };
    s.enqueue(sc, sc);
    const msg = await an.messages.stream(params).finalMessage();
    const json = await an.messages.create(params);
    for (const m of [msg, json]) {
      assert.deepEqual(
        m.content.map((b) => b.type),
        ['thinking', 'text', 'tool_use'],
      );
      const [th, , tool] = m.content;
      assert.ok(th?.type === 'thinking' && th.thinking === 'User wants weather.' && th.signature.length > 0);
      assert.ok(tool?.type === 'tool_use');
      assert.match(tool.id, /^toolu_01/);
      assert.deepEqual(tool.input, { city: 'Paris', units: 'metric' });
      assert.equal(m.stop_reason, 'tool_use');
    }
    // thinking (3 words) + text (3 words) + tool JSON fragments all count as output
    assert.equal(msg.usage.output_tokens, json.usage.output_tokens);
    assert.ok(msg.usage.output_tokens > 6);
  });

  test('errors: 429 RateLimitError, 529 OverloadedError with typed body and request-id', async () => {
    s.enqueue({ kind: 'error', status: 429, retryAfter: '3' }, { kind: 'error', status: 529 });
    const e1 = await an.messages.create(params).catch((e: unknown) => e);
    assert.ok(e1 instanceof Anthropic.RateLimitError);
    assert.equal(e1.headers.get('retry-after'), '3');
    assert.equal(e1.type, 'rate_limit_error');
    const e2 = await an.messages.create(params).catch((e: unknown) => e);
    assert.ok(e2 instanceof Anthropic.OverloadedError);
    assert.equal(e2.status, 529);
    assert.equal(e2.type, 'overloaded_error');
    assert.match(e2.requestID ?? '', /^req_/);
  });

  test('mid-stream event: error and dropped socket make the SDK throw', async () => {
    s.enqueue({ kind: 'stream-error', afterEvents: 4 });
    const e1 = await an.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    assert.ok(e1 instanceof Anthropic.APIError);
    assert.equal(e1.type, 'overloaded_error');
    s.enqueue({ kind: 'reply', dropAfterEvents: 5 });
    const stream = await an.messages.create({ ...params, stream: true });
    const seen: string[] = [];
    const e2 = await (async () => {
      for await (const ev of stream) seen.push(ev.type);
    })().catch((e: unknown) => e);
    assert.ok(e2 instanceof Error);
    assert.ok(!seen.includes('message_stop'));
    // 5 events written, one of them a ping the SDK swallows
    assert.equal(seen.length, 4);
  });

  test('raw bytes: named events, compact JSON, ping after the first block start', async () => {
    const r = await post('/v1/messages', AH, { ...params, stream: true });
    const frames = (await r.text()).split('\n\n').slice(0, -1);
    const names = frames.map((f) => f.split('\n')[0]);
    assert.deepEqual(names.slice(0, 3), [
      'event: message_start',
      'event: content_block_start',
      'event: ping',
    ]);
    assert.deepEqual(names.slice(-2), ['event: message_delta', 'event: message_stop']);
    for (const f of frames) {
      const [ev, data] = f.split('\n');
      const parsed = JSON.parse(data!.slice(6)) as { type: string };
      assert.equal(ev, `event: ${parsed.type}`);
      assert.equal(data, `data: ${JSON.stringify(parsed)}`);
    }
    const delta = JSON.parse(frames.at(-2)!.split('\n')[1]!.slice(6));
    // the live API repeats input/cache counts in message_delta; a meter must not add them twice
    assert.deepEqual(delta.usage, {
      input_tokens: EST,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: WORDS,
    });
  });

  test('count_tokens agrees with messages input_tokens and does not consume the queue', async () => {
    s.enqueue({ kind: 'reply', text: 'queued' });
    const body = { model: params.model, messages: MSGS, system: 'Be brief.' };
    const counted = await an.messages.countTokens(body);
    const msg = await an.messages.create({ ...params, system: 'Be brief.' });
    assert.equal(counted.input_tokens, msg.usage.input_tokens);
    assert.equal(counted.input_tokens, estimateInputTokens(MSGS, 'Be brief.'));
    assert.deepEqual(msg.content, [{ type: 'text', text: 'queued' }]);
  });

  test('auth, version, bad JSON, missing fields, unknown path', async () => {
    const noKey = await post('/v1/messages', { 'anthropic-version': '2023-06-01' }, params);
    assert.equal(noKey.status, 401);
    const body = (await noKey.json()) as { type: string; error: { type: string }; request_id: string };
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'authentication_error');
    assert.equal(body.request_id, noKey.headers.get('request-id'));
    assert.equal((await post('/v1/messages', { 'x-api-key': 'k' }, params)).status, 400);
    assert.equal((await post('/v1/messages', AH, '{')).status, 400);
    const miss = await post('/v1/messages', AH, { model: 'm', messages: MSGS });
    assert.match(((await miss.json()) as { error: { message: string } }).error.message, /max_tokens/);
    // the SDK sends `Authorization: Bearer` (checked implicitly above); raw x-api-key works too
    assert.equal((await post('/v1/messages', AH, params)).status, 200);
    // version 2026-10-21 rejects sampling parameters, 2023-06-01 still takes them
    const v2 = { ...AH, 'anthropic-version': '2026-10-21' };
    const temp = await post('/v1/messages', v2, { ...params, temperature: 1 });
    assert.equal(temp.status, 400);
    assert.match(
      ((await temp.json()) as { error: { message: string } }).error.message,
      /^temperature: Extra inputs/,
    );
    assert.equal((await post('/v1/messages', AH, { ...params, temperature: 1 })).status, 200);
    const nf = await post('/v1/messages/nope', AH, params);
    assert.equal(nf.status, 404);
    assert.equal(((await nf.json()) as { error: { type: string } }).error.type, 'not_found_error');
  });

  test('models list in Anthropic format', async () => {
    const ids: string[] = [];
    for await (const m of an.models.list()) ids.push(m.id);
    assert.ok(ids.some((id) => id.startsWith('claude-')));
  });
});

describe('control', () => {
  test('non-stream requests: a drop resets the connection, stream-error becomes an HTTP error, omitUsage', async () => {
    s.enqueue({ kind: 'reply', dropAfterEvents: 0 });
    const e1 = await oa.chat.completions.create({ model: 'm', messages: MSGS }).catch((e: unknown) => e);
    assert.ok(e1 instanceof OpenAI.APIConnectionError);
    s.enqueue({ kind: 'stream-error', afterEvents: 2 });
    const e2 = await an.messages
      .create({ model: 'c', max_tokens: 5, messages: MSGS })
      .catch((e: unknown) => e);
    assert.ok(e2 instanceof Anthropic.OverloadedError);
    s.enqueue({ kind: 'reply', omitUsage: true });
    const r = await oa.chat.completions.create({ model: 'm', messages: MSGS });
    assert.equal(r.usage, undefined);
  });

  test('fault scenarios: reset before headers, cuts that reset, stall or end, a malformed event', async () => {
    const stream = { model: 'm', messages: MSGS, stream: true };
    // Each answer mints its own id; the rest of the bytes are deterministic.
    const sent = async (r: Response) =>
      (await r.text()).replace(/chatcmpl-\w+/g, 'chatcmpl-X').replace(/"created":\d+/g, '"created":0');
    const full = await sent(await post('/v1/chat/completions', OH, stream));
    const events = full.split(/(?<=\n\n)/);
    assert.equal(events.join(''), full);

    s.enqueue({ kind: 'reply', resetBeforeHeaders: true });
    await assert.rejects(post('/v1/chat/completions', OH, stream));

    // Cut 7 bytes into the fourth event and end cleanly: the partial event is the last thing sent.
    s.enqueue({ kind: 'reply', cut: { events: 3, bytes: 7, how: 'end' } });
    const cut = await post('/v1/chat/completions', OH, stream);
    assert.equal(cut.status, 200);
    assert.equal(await sent(cut), events.slice(0, 3).join('') + events[3]!.slice(0, 7));

    s.enqueue({ kind: 'reply', cut: { events: 2, how: 'reset' } });
    const reset = await post('/v1/chat/completions', OH, stream);
    await assert.rejects(reset.text());

    // A stalled body sends its headers and part of the answer, then nothing (until the client gives up).
    s.enqueue({ kind: 'reply', cut: { bytes: 30, how: 'stall' } });
    const stalled = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: OH,
      body: JSON.stringify({ model: 'm', messages: MSGS }),
      signal: AbortSignal.timeout(300),
    });
    assert.equal(stalled.status, 200);
    assert.equal(stalled.headers.get('content-type'), 'application/json');
    await assert.rejects(stalled.text(), /abort|timeout/i);

    s.enqueue({ kind: 'reply', cut: { bytes: 30, how: 'end' } });
    const truncated = await (await post('/v1/chat/completions', OH, { model: 'm', messages: MSGS })).text();
    assert.equal(truncated.length, 30);
    assert.throws(() => JSON.parse(truncated));

    s.enqueue({ kind: 'reply', malformedAfterEvents: 2 });
    const bad = (await sent(await post('/v1/chat/completions', OH, stream))).split(/(?<=\n\n)/);
    assert.equal(bad.length, events.length + 1);
    assert.match(bad[2]!, /^data: <html>.*\n\n$/);
    assert.equal(bad[3], events[2]);
  });

  test('anthropic omitUsage drops usage from the message, message_start and message_delta', async () => {
    s.enqueue({ kind: 'reply', omitUsage: true });
    const msg = (await (
      await post('/v1/messages', AH, { model: 'c', max_tokens: 5, messages: MSGS })
    ).json()) as {
      usage?: unknown;
      content: unknown[];
    };
    assert.equal(msg.usage, undefined);
    assert.equal(msg.content.length, 1);
    s.enqueue({ kind: 'reply', omitUsage: true });
    const text = await (
      await post('/v1/messages', AH, { model: 'c', max_tokens: 5, messages: MSGS, stream: true })
    ).text();
    assert.match(text, /event: message_start/);
    assert.match(
      text,
      /event: message_delta\ndata: \{"type":"message_delta","delta":\{"stop_reason":"end_turn"/,
    );
    assert.doesNotMatch(text, /usage/);
  });

  test('stream-error carries an OpenAI error code when given one', async () => {
    s.enqueue({ kind: 'stream-error', afterEvents: 1, type: 'requests', code: 'rate_limit_exceeded' });
    const text = await (
      await post('/v1/chat/completions', OH, { model: 'm', messages: MSGS, stream: true })
    ).text();
    assert.match(text, /"type":"requests","param":null,"code":"rate_limit_exceeded"\}\}\n\n$/);
  });

  test('FIFO queue, then default, and the recorded requests', async () => {
    s.setDefault({ kind: 'reply', text: 'default' });
    s.enqueue({ kind: 'reply', text: 'first' }, { kind: 'reply', text: 'second' });
    const texts: (string | null | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await oa.chat.completions.create({ model: `m${i}`, messages: MSGS });
      texts.push(r.choices[0]?.message.content);
    }
    assert.deepEqual(texts, ['first', 'second', 'default']);
    assert.equal(s.requests.length, 3);
    const r0 = s.requests[0]!;
    assert.equal(r0.method, 'POST');
    assert.equal(r0.path, '/v1/chat/completions');
    assert.equal(r0.headers.authorization, 'Bearer sk-test');
    assert.deepEqual((r0.body as { model: string }).model, 'm0');
    assert.equal(JSON.parse(r0.rawBody).model, 'm0');
    s.reset();
    assert.equal(s.requests.length, 0);
    const r = await oa.chat.completions.create({ model: 'm', messages: MSGS });
    assert.equal(r.choices[0]?.message.content, DEFAULT_TEXT);
  });

  test('x-standin-scenario header steers a request when the queue is empty', async () => {
    const scenario: Scenario = { kind: 'error', status: 429, type: 'rate_limit_error' };
    const headers = { 'x-standin-scenario': JSON.stringify(scenario) };
    const err = await an.messages
      .create({ model: 'c', max_tokens: 5, messages: MSGS }, { headers })
      .catch((e: unknown) => e);
    assert.ok(err instanceof Anthropic.RateLimitError);
    s.enqueue({ kind: 'reply', text: 'queue wins' });
    const r = await oa.chat.completions.create({ model: 'm', messages: MSGS }, { headers });
    assert.equal(r.choices[0]?.message.content, 'queue wins');
    const bad = await post(
      '/v1/chat/completions',
      { ...OH, 'x-standin-scenario': '{"kind":"nope"}' },
      {
        model: 'm',
        messages: MSGS,
      },
    );
    assert.equal(bad.status, 400);
    // a scenario that is JSON but nonsense fails that request only; the server keeps serving
    const nonsense = JSON.stringify({ kind: 'reply', text: 42 });
    const broken = await post(
      '/v1/chat/completions',
      { ...OH, 'x-standin-scenario': nonsense },
      {
        model: 'm',
        messages: MSGS,
      },
    );
    assert.equal(broken.status, 500);
    assert.equal(
      (await oa.chat.completions.create({ model: 'm', messages: MSGS })).object,
      'chat.completion',
    );
  });

  test('firstByteDelayMs and chunkDelayMs slow the response down', async () => {
    s.enqueue(
      { kind: 'reply', firstByteDelayMs: 80 },
      { kind: 'reply', text: 'a b c d e', chunkDelayMs: 20 },
    );
    let t0 = performance.now();
    await oa.chat.completions.create({ model: 'm', messages: MSGS });
    assert.ok(performance.now() - t0 >= 75);
    t0 = performance.now();
    const out = await chunks();
    // role chunk + 5 words + finish chunk + [DONE]: 7 gaps between 8 events
    assert.ok(performance.now() - t0 >= 7 * 20 - 10);
    assert.equal(out.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'a b c d e');
  });

  test('close() ends in-flight streams', async () => {
    const other = await startStandin({ record: false });
    other.setDefault({ kind: 'reply', chunkDelayMs: 10_000 });
    const r = await post2(other.url);
    const reader = r.body!.getReader();
    await reader.read();
    await other.close();
    await assert.rejects(async () => {
      for (;;) if ((await reader.read()).done) throw new Error('ended cleanly instead of being cut');
    });
    assert.equal(other.requests.length, 0);
  });

  test('main.ts prints the listening line, serves, and exits 0 on SIGTERM', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/standin/main.ts', '--port', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const m = /^standin listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(line.toString());
    assert.ok(m, line.toString());
    const r = await fetch(`${m[1]}/v1/models`, { headers: OH });
    assert.equal(r.status, 200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
  });
});

const post2 = (url: string) =>
  fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: OH,
    body: JSON.stringify({ model: 'm', messages: MSGS, stream: true }),
  });
