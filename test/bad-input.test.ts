import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import { ADMIN_KEY, type Harness, startHarness } from './helpers/harness.js';
import { admin, applyPlans, setPlan } from './helpers/limits.js';

// Each limit below is written out here, not imported, so a silent change in the gateway fails a test.
const MAX_BODY = 6 * 1024 * 1024;
const MAX_DEPTH = 128;
const MAX_MODEL = 256;
const MAX_OUT = 2147483647; // 2^31 - 1
const HEADER_LIMIT = 16 * 1024;

const user = [{ role: 'user' as const, content: 'hi' }];

/** `levels` arrays nested in each other around one string: `[[["x"]]]` has 3. */
const nested = (levels: number): string => `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;

describe('hostile input gets a 4xx in the caller’s protocol, never a 5xx or a reset', () => {
  let h: Harness;
  let planKey: string;
  let walletKey: string;
  let plan: OpenAI;
  let wallet: Anthropic;

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'margin-bad-')), 'margin.yaml');
    writeFileSync(file, `server:\n  maxBodyBytes: ${MAX_BODY}\n`);
    h = await startHarness({ configFile: file });
    const now = Date.now();
    planKey = (await createVirtualKey(h.gateway.store, { customer: 'plan-co', now })).key;
    walletKey = (await createVirtualKey(h.gateway.store, { customer: 'wallet-co', now })).key;
    await applyPlans(h, { capped: { priceUsd: 5, budget: { unit: 'usd', amount: '10' } } });
    await setPlan(h, 'plan-co', 'capped');
    await admin(h, 'POST', '/wallets/wallet-co/top-ups', { amount_usd: '10' });
    plan = new OpenAI({ apiKey: planKey, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    wallet = new Anthropic({ apiKey: walletKey, baseURL: h.gateway.url, maxRetries: 0 });
  });
  after(async () => h.close());

  /** How many ledger rows exist (the writer drained first). */
  const rowCount = async () => (await h.rows()).length;

  test('an upstream error code of 10,000 characters is passed on whole but stored bounded', async () => {
    const code = 'x'.repeat(10_000);
    h.standin.enqueue({ kind: 'error', status: 400, type: 'invalid_request_error', code });
    const e = await h.openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user })
      .catch((x: unknown) => x);
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.code, code, 'the client sees the upstream body unchanged');
    const row = await h.lastRow();
    assert.equal(row.status, 400);
    assert.equal(row.errorCode, code.slice(0, 128));
  });

  test('deep JSON: 400 naming the depth limit for plan and wallet customers, one row per call', async () => {
    const before = await rowCount();
    // Through the SDKs at 1,000 levels (deeper would overflow the SDK's own JSON.stringify).
    const deep = JSON.parse(nested(1000)) as unknown;
    const o = await plan.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user, metadata: { deep } } as never)
      .catch((e: unknown) => e);
    assert.ok(o instanceof OpenAI.APIError, String(o));
    assert.equal(o.status, 400);
    assert.match(o.message, new RegExp(`${MAX_DEPTH} levels`));
    const a = await wallet.messages
      .create({
        model: 'claude-haiku-4-5',
        max_tokens: 10,
        messages: [{ role: 'user', content: [deep] }],
      } as never)
      .catch((e: unknown) => e);
    assert.ok(a instanceof Anthropic.APIError, String(a));
    assert.equal(a.status, 400);
    assert.equal((a.error as { error: { type: string } }).error.type, 'invalid_request_error');
    assert.match(a.message, new RegExp(`${MAX_DEPTH} levels`));
    // 20,000 levels as raw bytes (no JS engine could even build them with JSON.stringify).
    for (const [path, key] of [
      ['/v1/chat/completions', planKey],
      ['/v1/messages', walletKey],
    ] as const) {
      const body = `{"model":"gpt-4o-mini","max_tokens":5,"messages":${nested(20_000)}}`;
      const r = await request(`${h.gateway.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
      });
      const json = (await r.body.json()) as { error: { message: string } };
      assert.equal(r.statusCode, 400);
      assert.match(json.error.message, new RegExp(`${MAX_DEPTH} levels`));
    }
    const rows = await h.rows();
    assert.equal(rows.length, before + 4, 'exactly one row per identified call');
    for (const r of rows.slice(0, 4)) {
      assert.equal(r.status, 400);
      assert.equal(r.errorCode, 'invalid_json');
      assert.equal(r.costPico, 0);
    }
  });

  test('depth exactly at the limit passes and brackets inside strings do not count', async () => {
    h.standin.reset();
    // messages itself is level 1 of the body's object (level 0 is the body) → the deepest allowed array
    // inside metadata sits at MAX_DEPTH counting the body's own brace.
    const inner = JSON.parse(nested(MAX_DEPTH - 2)) as unknown;
    const content = `${'['.repeat(5000)}{{{ not structure }}}`;
    const r = await plan.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content }],
      metadata: { inner },
    } as never);
    assert.ok((r as { choices: unknown[] }).choices.length > 0);
    const sent = h.standin.requests.at(-1)?.body as { max_completion_tokens?: number; metadata?: unknown };
    // The plan customer's call without max_tokens was re-serialised with the reserved output cap.
    assert.equal(sent.max_completion_tokens, 4096);
    assert.deepEqual(sent.metadata, { inner });
    const row = await h.lastRow();
    assert.equal(row.status, 200);
    assert.ok((row.costPico ?? 0) > 0);
    // One level deeper is refused.
    const deeper = JSON.parse(nested(MAX_DEPTH - 1)) as unknown;
    const e = await plan.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user, metadata: { deeper } } as never)
      .catch((x: unknown) => x);
    assert.ok(e instanceof OpenAI.APIError);
    assert.equal(e.status, 400);
  });

  test('one long word in a plan customer’s prompt is counted in linear time, not minutes', async () => {
    // A super-linear tokenizer took about a minute over 20,000 letters without a space.
    let word = '';
    for (let i = 0; i < 200_000; i++) word += String.fromCharCode(97 + ((i * 7919) % 26));
    const quick = new OpenAI({
      apiKey: planKey,
      baseURL: `${h.gateway.url}/v1`,
      maxRetries: 0,
      timeout: 20_000,
    });
    const r = await quick.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `${'a'.repeat(50_000)} ${word}` }],
    });
    assert.ok(r.choices.length > 0);
    assert.equal((await h.lastRow()).status, 200);
  });

  test('model names over 256 characters: 400 naming model; nothing long stored or echoed', async () => {
    const before = await rowCount();
    const huge = 'gpt-'.padEnd(5 * 1024 * 1024, 'x');
    const o = await h.openai.chat.completions
      .create({ model: huge, messages: user })
      .catch((e: unknown) => e);
    assert.ok(o instanceof OpenAI.APIError);
    assert.equal(o.status, 400);
    assert.equal((o.error as { param?: string }).param, 'model');
    assert.match(o.message, new RegExp(`model: must be at most ${MAX_MODEL} characters`));
    assert.ok(o.message.length < 200, 'the name is not echoed');
    const a = await h.anthropic.messages
      .create({ model: `claude-${'y'.repeat(MAX_MODEL)}`, max_tokens: 5, messages: user })
      .catch((e: unknown) => e);
    assert.ok(a instanceof Anthropic.APIError);
    assert.equal(a.status, 400);
    assert.match(a.message, /model: must be at most 256/);
    const c = await h.anthropic.messages
      .countTokens({ model: `claude-${'z'.repeat(MAX_MODEL)}`, messages: user })
      .catch((e: unknown) => e);
    assert.ok(c instanceof Anthropic.APIError);
    assert.equal(c.status, 400);
    // Exactly 256 characters is a name: routed by family, unknown upstream → the stand-in's answer, stored whole.
    const at = `gpt-${'w'.repeat(MAX_MODEL - 4)}`;
    await h.openai.chat.completions.create({ model: at, messages: user }).catch(() => undefined);
    const rows = await h.rows();
    assert.equal(rows.length, before + 3, 'count_tokens is not metered; the other three are');
    assert.equal(rows[0]?.modelRequested, at);
    for (const r of rows) assert.ok(r.modelRequested.length <= MAX_MODEL);
  });

  test('max_tokens of 1e12, 2^53+2 or 1e308 for a plan customer: 400 naming it and its range', async () => {
    for (const max of [1e12, 2 ** 53 + 2, 1e308, MAX_OUT + 1, 0, 1.5]) {
      const o = await plan.chat.completions
        .create({ model: 'gpt-4o-mini', messages: user, max_tokens: max })
        .catch((e: unknown) => e);
      assert.ok(o instanceof OpenAI.APIError);
      assert.equal(o.status, 400, `max_tokens ${max}`);
      assert.equal((o.error as { param?: string }).param, 'max_tokens');
      assert.match(o.message, /max_tokens: must be a positive integer below 2\^31 \(1 to 2147483647\)/);
      // stream: the Anthropic SDK refuses a non-streamed call with a huge max_tokens before sending it.
      const a = await wallet.messages
        .create({ model: 'claude-haiku-4-5', max_tokens: max, messages: user, stream: true })
        .catch((e: unknown) => e);
      assert.ok(a instanceof Anthropic.APIError);
      assert.equal(a.status, 400, `anthropic max_tokens ${max}`);
      assert.match(a.message, /max_tokens: .*2147483647/);
    }
    const c = await plan.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user, max_completion_tokens: 2 ** 40 })
      .catch((e: unknown) => e);
    assert.ok(c instanceof OpenAI.APIError);
    assert.equal((c.error as { param?: string }).param, 'max_completion_tokens');
    // Below 2^31 but above what the model can ever write (the catalog knows gpt-4o-mini's 128k window).
    const w = await plan.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user, max_tokens: 1_000_000_000 })
      .catch((e: unknown) => e);
    assert.ok(w instanceof OpenAI.APIError);
    assert.equal(w.status, 400);
    assert.match(w.message, /max_tokens: must be at most 128000 for gpt-4o-mini/);
  });

  test('an oversized body: the official SDKs receive the 413, every time', async () => {
    const big = 'a'.repeat(MAX_BODY + 1024 * 1024);
    for (let i = 0; i < 8; i++) {
      const o = await h.openai.chat.completions
        .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: big }] })
        .catch((e: unknown) => e);
      assert.ok(o instanceof OpenAI.APIError && !(o instanceof OpenAI.APIConnectionError), String(o));
      assert.equal(o.status, 413);
      assert.match(o.message, new RegExp(`limit is ${MAX_BODY} bytes`));
      const a = await h.anthropic.messages
        .create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: [{ role: 'user', content: big }] })
        .catch((e: unknown) => e);
      assert.ok(a instanceof Anthropic.APIError && !(a instanceof Anthropic.APIConnectionError), String(a));
      assert.equal(a.status, 413);
      assert.equal((a.error as { error: { type: string } }).error.type, 'request_too_large');
    }
    // The gateway still serves normal calls afterwards.
    const ok = await h.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: user });
    assert.ok(ok.choices.length > 0);
  });

  test('headers over 16 KiB: a JSON 431 in the caller’s protocol, not an empty body', async () => {
    const pad = 'p'.repeat(HEADER_LIMIT + 100);
    const o = new OpenAI({
      apiKey: h.key,
      baseURL: `${h.gateway.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-pad': pad },
    });
    const oe = await o.chat.completions
      .create({ model: 'gpt-4o-mini', messages: user })
      .catch((e: unknown) => e);
    assert.ok(oe instanceof OpenAI.APIError && !(oe instanceof OpenAI.APIConnectionError), String(oe));
    assert.equal(oe.status, 431);
    assert.equal((oe.error as { type?: string }).type, 'invalid_request_error');
    assert.match(oe.message, /headers too large: the limit is 16384 bytes/);
    const a = new Anthropic({
      apiKey: h.key,
      baseURL: h.gateway.url,
      maxRetries: 0,
      defaultHeaders: { 'x-pad': pad },
    });
    const ae = await a.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 5, messages: user })
      .catch((e: unknown) => e);
    assert.ok(ae instanceof Anthropic.APIError && !(ae instanceof Anthropic.APIConnectionError), String(ae));
    assert.equal(ae.status, 431);
    assert.equal((ae.error as { type: string; error: { type: string } }).type, 'error');
    assert.equal((ae.error as { error: { type: string } }).error.type, 'request_too_large');
  });

  test('odd methods and routes: 405/404 as JSON naming the method and route', async () => {
    const r = await request(`${h.gateway.url}/v1/chat/completions`, { method: 'PUT', body: '{}' });
    assert.equal(r.statusCode, 405);
    assert.equal(r.headers.allow, 'POST');
    const j = (await r.body.json()) as { error: { message: string } };
    assert.match(j.error.message, /PUT not allowed on \/v1\/chat\/completions/);
    const m = await request(`${h.gateway.url}/v1/messages`, { method: 'GET' });
    assert.equal(m.statusCode, 405);
    const mj = (await m.body.json()) as { type: string; error: { type: string } };
    assert.equal(mj.type, 'error');
    const u = await request(`${h.gateway.url}/v1/${'q'.repeat(5000)}`, { method: 'GET' });
    assert.equal(u.statusCode, 404);
    const uj = (await u.body.json()) as { error: { message: string } };
    assert.ok(uj.error.message.length < 300, 'a long path is not echoed whole');
  });

  test('admin: bad JSON, wrong types, huge strings and bad escapes → 400 naming the field', async () => {
    const call = async (method: string, path: string, body?: string) => {
      const r = await request(`${h.gateway.url}/admin/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body,
      });
      const j = (await r.body.json()) as { error: { message: string } };
      return { status: r.statusCode, message: j.error.message };
    };
    const cases: [string, string, string | undefined, RegExp][] = [
      ['POST', '/keys', '{"kind":', /^body: Request body is not valid JSON/],
      ['POST', '/keys', '[1]', /^body: Request body must be a JSON object/],
      ['POST', '/keys', `{"kind":"customer","customer":"c","x":${nested(500)}}`, /^body: .*128 levels/],
      [
        'POST',
        '/keys',
        JSON.stringify({ customer: 'c', name: 'n'.repeat(5000) }),
        /^name: must be at most 1024/,
      ],
      ['POST', '/keys', JSON.stringify({ customer: 7 }), /^customer: must be a string/],
      ['PUT', '/customers/acme', JSON.stringify({ plan: 5 }), /^plan: must be a plan name or null/],
      ['PUT', '/customers/acme', JSON.stringify({ cycle_day: [] }), /^cycle_day: /],
      ['PUT', '/customers/acme', JSON.stringify({ wallet: {} }), /^wallet: must be a string/],
      ['POST', '/wallets/acme/top-ups', JSON.stringify({ amount_usd: '9'.repeat(40) }), /^amount_usd: /],
      [
        'POST',
        '/wallets/acme/top-ups',
        JSON.stringify({ amount_usd: '1', note: 3 }),
        /^note: must be a string/,
      ],
      [
        'PUT',
        '/plans',
        JSON.stringify({ plans: { p: { priceUsd: 'x'.repeat(2000) } } }),
        /^plans\.p\.priceUsd: must be at most 1024/,
      ],
      ['GET', '/customers/%E0%A4%A', undefined, /^customer: not valid percent-encoding/],
      ['DELETE', '/keys/%zz', undefined, /^key: not valid percent-encoding/],
    ];
    for (const [method, path, body, re] of cases) {
      const r = await call(method, path, body);
      assert.equal(r.status, 400, `${method} ${path} ${body?.slice(0, 60)} → ${r.message}`);
      assert.match(r.message, re);
    }
    const gone = await request(`${h.gateway.url}//admin/v1/x`, { method: 'GET' });
    assert.ok(gone.statusCode < 500);
    await gone.body.dump();
  });
});
