// The fault matrix: every upstream and client fault, through both official SDKs, JSON and streamed, for a
// metering-only customer and for one with a budget and a prepaid wallet. Each call leaves exactly one row
// that says what its client got, the client raises its SDK's typed error, and nothing stays reserved.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import OpenAI from 'openai';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import { journaledInFlight } from '../src/journal/in-flight.js';
import type { LedgerRow } from '../src/ledger/types.js';
import { type Scenario, splitWords } from '../src/standin/scenario.js';
import { usdToPico } from '../src/util/money.js';
import { expectedPico } from './helpers/expected-cost.js';
import { eventually, type Harness, startHarness } from './helpers/harness.js';
import { admin, applyPlans, ledgerSpend, picoDecimal, setPlan } from './helpers/limits.js';

const PROVIDER_TIMEOUT_MS = 1500;
/** Longer than a client waits, shorter than the provider timeout: the client is the one to give up. */
const SLOW_MS = 1200;
const CLIENT_TIMEOUT_MS = 500;
const PROMPT = 'Summarise the quarterly report in one sentence.';
const ANSWER = 'Revenue grew while costs stayed flat across every region this quarter.';
const TOP_UP = 20_000_000_000_000n; // $20
const REPORTED = { inputTokens: 40, outputTokens: 12 };
const MODELS = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-6' } as const;

type Sdk = 'openai' | 'anthropic';
type Mode = 'json' | 'stream';
type Cost = 'free' | 'reported' | 'input' | 'estimated' | 'reported-input-estimated-output';

interface Expect {
  status: number;
  code: string | null;
  cost: Cost;
  /** The client's error: an SDK error class, or the client's own timeout/abort. */
  sdk: 'ok' | 'rate-limit' | 'server' | 'in-stream' | 'timeout' | 'abort';
}

interface Case {
  name: string;
  modes: Mode[];
  scenario(sdk: Sdk, mode: Mode): Scenario;
  expect(sdk: Sdk, mode: Mode): Expect;
  client?: { timeoutMs?: number; abortAfterDeltas?: number };
}

const enc = new Tiktoken(o200k);
const tokens = (text: string) => enc.encode(text).length;

const CASES: Case[] = [
  {
    name: 'upstream-429',
    modes: ['json', 'stream'],
    scenario: () => ({ kind: 'error', status: 429 }),
    expect: (sdk) => ({
      status: 429,
      code: sdk === 'openai' ? 'rate_limit_exceeded' : 'rate_limit_error',
      cost: 'free',
      sdk: 'rate-limit',
    }),
  },
  {
    name: 'upstream-5xx',
    modes: ['json', 'stream'],
    scenario: () => ({ kind: 'error', status: 500 }),
    expect: (sdk) => ({
      status: 500,
      code: sdk === 'openai' ? 'server_error' : 'api_error',
      cost: 'free',
      sdk: 'server',
    }),
  },
  {
    name: 'upstream-timeout-before-headers',
    modes: ['json', 'stream'],
    scenario: () => ({ kind: 'reply', firstByteDelayMs: PROVIDER_TIMEOUT_MS * 4 }),
    expect: () => ({ status: 504, code: 'upstream_timeout', cost: 'free', sdk: 'server' }),
  },
  {
    name: 'reset-before-headers',
    modes: ['json', 'stream'],
    scenario: () => ({ kind: 'reply', resetBeforeHeaders: true }),
    expect: () => ({ status: 502, code: 'upstream_unreachable', cost: 'free', sdk: 'server' }),
  },
  {
    name: 'reset-mid-answer',
    modes: ['json', 'stream'],
    scenario: (_, mode) => ({
      kind: 'reply',
      text: ANSWER,
      cut: mode === 'json' ? { bytes: 40, how: 'reset' } : { events: 4, how: 'reset' },
    }),
    expect: (sdk, mode) => ({
      status: 502,
      code: 'upstream_disconnected',
      cost: costOfBrokenAnswer(sdk, mode),
      sdk: mode === 'json' ? 'server' : 'in-stream',
    }),
  },
  {
    name: 'stall-mid-answer',
    modes: ['json', 'stream'],
    scenario: (_, mode) => ({
      kind: 'reply',
      text: ANSWER,
      cut: mode === 'json' ? { bytes: 40, how: 'stall' } : { events: 4, how: 'stall' },
    }),
    expect: (sdk, mode) => ({
      status: 504,
      code: 'upstream_timeout',
      cost: costOfBrokenAnswer(sdk, mode),
      sdk: mode === 'json' ? 'server' : 'in-stream',
    }),
  },
  {
    name: 'cut-mid-event',
    modes: ['stream'],
    scenario: () => ({ kind: 'reply', text: ANSWER, cut: { events: 4, bytes: 25, how: 'reset' } }),
    expect: (sdk) => ({
      status: 502,
      code: 'upstream_disconnected',
      cost: costOfBrokenAnswer(sdk, 'stream'),
      sdk: 'in-stream',
    }),
  },
  {
    name: 'malformed',
    modes: ['json', 'stream'],
    // JSON: a 2xx body that ends cleanly half-way is not JSON; SSE: an HTML page where an event belongs.
    scenario: (_, mode) =>
      mode === 'json'
        ? { kind: 'reply', text: ANSWER, cut: { bytes: 40, how: 'end' } }
        : { kind: 'reply', text: ANSWER, malformedAfterEvents: 4 },
    expect: (sdk, mode) => ({
      status: 502,
      code: 'upstream_malformed',
      cost: costOfBrokenAnswer(sdk, mode),
      sdk: mode === 'json' ? 'server' : 'in-stream',
    }),
  },
  {
    name: 'truncated-stream',
    modes: ['stream'],
    // The upstream ends the response cleanly, but before message_stop / [DONE].
    scenario: () => ({ kind: 'reply', text: ANSWER, cut: { events: 4, how: 'end' } }),
    expect: (sdk) => ({
      status: 502,
      code: 'upstream_disconnected',
      cost: costOfBrokenAnswer(sdk, 'stream'),
      sdk: 'in-stream',
    }),
  },
  {
    name: 'last-event-unterminated',
    modes: ['stream'],
    // The upstream ends cleanly right after its last event's data line, before the blank line that would
    // end it: that event is whole, so the answer is complete. Cut one byte short of [DONE] / message_stop.
    scenario: (sdk) => {
      const words = splitWords(ANSWER).length;
      const last =
        sdk === 'openai'
          ? { events: words + 3, bytes: 'data: [DONE]\n'.length }
          : { events: words + 5, bytes: 'event: message_stop\ndata: {"type":"message_stop"}\n'.length };
      return { kind: 'reply', text: ANSWER, usage: REPORTED, cut: { ...last, how: 'end' } };
    },
    expect: () => ({ status: 200, code: null, cost: 'reported', sdk: 'ok' }),
  },
  {
    name: 'in-stream-error',
    modes: ['json', 'stream'],
    // As a JSON call the stand-in answers the same failure with its HTTP status.
    scenario: (sdk) => ({
      kind: 'stream-error',
      afterEvents: 4,
      type: sdk === 'openai' ? 'server_error' : 'overloaded_error',
    }),
    expect: (sdk, mode) => ({
      status: sdk === 'openai' ? 500 : 529,
      code: sdk === 'openai' ? 'server_error' : 'overloaded_error',
      cost: mode === 'json' ? 'free' : costOfBrokenAnswer(sdk, mode),
      sdk: mode === 'json' ? 'server' : 'in-stream',
    }),
  },
  {
    name: 'missing-usage',
    modes: ['json', 'stream'],
    scenario: () => ({ kind: 'reply', text: ANSWER, omitUsage: true }),
    expect: () => ({ status: 200, code: null, cost: 'estimated', sdk: 'ok' }),
  },
  {
    name: 'client-timeout-before-headers',
    modes: ['json', 'stream'],
    scenario: () => ({ kind: 'reply', text: ANSWER, firstByteDelayMs: SLOW_MS }),
    client: { timeoutMs: CLIENT_TIMEOUT_MS },
    expect: () => ({ status: 499, code: 'client_closed', cost: 'input', sdk: 'timeout' }),
  },
  {
    name: 'client-leaves-mid-answer',
    modes: ['json', 'stream'],
    // JSON: the upstream body stalls and the client times out waiting; stream: the client aborts.
    scenario: (_, mode) =>
      mode === 'json'
        ? { kind: 'reply', text: ANSWER, cut: { bytes: 40, how: 'stall' } }
        : { kind: 'reply', text: ANSWER, chunkDelayMs: 60 },
    client: { timeoutMs: CLIENT_TIMEOUT_MS, abortAfterDeltas: 3 },
    expect: (sdk, mode) => ({
      status: 499,
      code: 'client_closed',
      cost: mode === 'json' ? 'input' : costOfBrokenAnswer(sdk, mode),
      sdk: mode === 'json' ? 'timeout' : 'abort',
    }),
  },
];

/** After a 2xx the model ran: Anthropic reported its input in message_start, the rest is estimated. */
function costOfBrokenAnswer(sdk: Sdk, mode: Mode): Cost {
  if (mode === 'json') return 'input';
  return sdk === 'anthropic' ? 'reported-input-estimated-output' : 'estimated';
}

interface Customer {
  name: string;
  key: string;
  openai: OpenAI;
  anthropic: Anthropic;
  limited: boolean;
}

interface CallResult {
  error: unknown;
  deltas: number;
}

async function call(c: Customer, sdk: Sdk, mode: Mode, feature: string, k: Case, s: Scenario) {
  const headers = { 'x-margin-feature': feature, 'x-standin-scenario': JSON.stringify(s) };
  const controller = new AbortController();
  const timeout = k.client?.timeoutMs;
  const opts = { headers, signal: controller.signal, ...(timeout !== undefined && { timeout }) };
  const abortAfter = mode === 'stream' ? k.client?.abortAfterDeltas : undefined;
  const result: CallResult = { error: undefined, deltas: 0 };
  const onDelta = () => {
    result.deltas++;
    if (result.deltas === abortAfter) controller.abort();
  };
  try {
    if (sdk === 'openai') {
      const body = {
        model: MODELS.openai,
        max_tokens: 300,
        messages: [{ role: 'user' as const, content: PROMPT }],
      };
      if (mode === 'json') await c.openai.chat.completions.create(body, opts);
      else
        for await (const chunk of await c.openai.chat.completions.create({ ...body, stream: true }, opts))
          if (chunk.choices[0]?.delta.content) onDelta();
    } else {
      const body = {
        model: MODELS.anthropic,
        max_tokens: 300,
        messages: [{ role: 'user' as const, content: PROMPT }],
      };
      if (mode === 'json') await c.anthropic.messages.create(body, opts);
      else
        for await (const ev of await c.anthropic.messages.create({ ...body, stream: true }, opts))
          if (ev.type === 'content_block_delta') onDelta();
    }
  } catch (e) {
    result.error = e;
  }
  return result;
}

/** The error's code as the client sees it: OpenAI's `error.code ?? type`, Anthropic's nested error. */
function clientCode(e: unknown): unknown {
  const body = (e as { error?: Record<string, unknown> }).error;
  const inner = (body?.error as Record<string, unknown> | undefined) ?? body;
  return inner?.code ?? inner?.type;
}

function assertClientSaw(sdk: Sdk, e: unknown, want: Expect, row: LedgerRow): void {
  const S = sdk === 'openai' ? OpenAI : Anthropic;
  if (want.sdk === 'ok') {
    assert.equal(e, undefined);
  } else if (want.sdk === 'timeout') {
    assert.ok(e instanceof S.APIConnectionTimeoutError, `timeout, got ${String(e)}`);
  } else if (want.sdk === 'abort') {
    assert.ok(e === undefined || e instanceof S.APIUserAbortError, `abort, got ${String(e)}`);
  } else if (want.sdk === 'in-stream') {
    // An error event, never a SyntaxError from bytes glued together.
    assert.ok(e instanceof S.APIError, `APIError, got ${String(e)}`);
    assert.equal(clientCode(e), row.errorCode, 'the row has the code the client got');
  } else {
    const cls = want.sdk === 'rate-limit' ? S.RateLimitError : S.InternalServerError;
    assert.ok(e instanceof cls, `typed ${cls.name}, got ${String(e)}`);
    assert.equal(e.status, row.status, 'the row has the status the client got');
    assert.equal(clientCode(e), row.errorCode, 'the row has the code the client got');
  }
}

function assertCost(sdk: Sdk, row: LedgerRow, cost: Cost, deltas: number): void {
  const model = MODELS[sdk];
  const input = tokens(PROMPT);
  // The stand-in's own input count (what Anthropic reports in message_start): JSON of the messages / 4.
  const reportedInput = Math.ceil(JSON.stringify([{ role: 'user', content: PROMPT }]).length / 4);
  switch (cost) {
    case 'free':
      assert.equal(row.costPico, 0);
      assert.equal(row.estimated, false);
      return;
    case 'reported':
      assert.equal(row.estimated, false);
      assert.equal(row.inputTokens, REPORTED.inputTokens);
      assert.equal(row.outputTokens, REPORTED.outputTokens);
      assert.equal(
        BigInt(row.costPico ?? -1),
        expectedPico(sdk, model, { input: REPORTED.inputTokens, output: REPORTED.outputTokens }),
      );
      return;
    case 'input':
      assert.equal(row.estimated, true);
      assert.equal(row.inputTokens, input, 'input estimated from the request text');
      assert.equal(row.outputTokens, 0);
      assert.equal(BigInt(row.costPico ?? -1), expectedPico(sdk, model, { input, output: 0 }));
      return;
    case 'estimated':
      assert.equal(row.estimated, true);
      assert.equal(row.inputTokens, input, 'input estimated from the request text');
      if (row.status === 200) assert.equal(row.outputTokens, tokens(ANSWER), 'output from the answer text');
      else assert.ok(row.outputTokens >= deltas, `output ≥ ${deltas} delivered, got ${row.outputTokens}`);
      assert.equal(BigInt(row.costPico ?? -1), expectedPico(sdk, model, { input, output: row.outputTokens }));
      return;
    case 'reported-input-estimated-output':
      assert.equal(row.estimated, true);
      assert.equal(row.inputTokens, reportedInput, 'input as message_start reported it');
      assert.ok(row.outputTokens >= deltas, `output ≥ ${deltas} delivered, got ${row.outputTokens}`);
      assert.ok(row.outputTokens < tokens(ANSWER), 'only what was delivered');
      assert.equal(
        BigInt(row.costPico ?? -1),
        expectedPico(sdk, model, { input: reportedInput, output: row.outputTokens }),
      );
  }
}

async function rowsOf(h: Harness, feature: string): Promise<LedgerRow[]> {
  return (await h.rows()).filter((r) => r.feature === feature);
}

/** Calls the request journal shows begun and never settled for this customer. */
function journaledOpen(h: Harness, customer: string): number {
  const dir = `${h.db}.journal`;
  assert.ok(existsSync(dir), `the gateway journals into ${dir}`);
  return journaledInFlight(dir, customer);
}

/** Nothing left reserved; the wallet is exactly its top-ups minus the ledger's spend. */
async function assertNothingHeld(h: Harness, c: Customer): Promise<void> {
  assert.equal(journaledOpen(h, c.name), 0, 'no call left open in the request journal');
  if (!c.limited) return;
  const res = await fetch(`${h.gateway.url}/v1/margin/usage`, {
    headers: { authorization: `Bearer ${c.key}` },
  });
  const u = (await res.json()) as { budget: { reserved: string }; wallet: { reserved_usd: string } };
  assert.equal(usdToPico(u.budget.reserved), 0n, 'budget reserved back to 0');
  assert.equal(usdToPico(u.wallet.reserved_usd), 0n, 'wallet reserved back to 0');
  const wallet = (await admin(h, 'GET', `/wallets/${c.name}`)) as { balance_usd: string };
  assert.equal(usdToPico(wallet.balance_usd), TOP_UP - (await ledgerSpend(h, c.name)));
}

describe('fault matrix: one correct row per call, typed SDK errors, nothing left reserved', () => {
  let h: Harness;
  const customers: Customer[] = [];
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-faults-'));
    const file = join(dir, 'margin.yaml');
    writeFileSync(
      file,
      `providers:\n  openai: { timeoutMs: ${PROVIDER_TIMEOUT_MS} }\n  anthropic: { timeoutMs: ${PROVIDER_TIMEOUT_MS} }\n`,
    );
    h = await startHarness({ configFile: file });
    await applyPlans(h, { metered: { priceUsd: 10, budget: { unit: 'usd', amount: 50 } } });
    for (const [name, limited] of [
      ['metering-only', false],
      ['budget-wallet', true],
    ] as const) {
      const { key } = await createVirtualKey(h.gateway.store, { customer: name, now: Date.now() });
      if (limited) {
        await setPlan(h, name, 'metered');
        await admin(h, 'POST', `/wallets/${name}/top-ups`, { amount_usd: picoDecimal(TOP_UP) });
      }
      customers.push({
        name,
        key,
        limited,
        openai: new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 }),
        anthropic: new Anthropic({ apiKey: key, baseURL: h.gateway.url, maxRetries: 0 }),
      });
    }
  });
  after(async () => h.close());

  for (const sdk of ['openai', 'anthropic'] as const)
    for (const k of CASES)
      for (const mode of k.modes)
        test(`${sdk} ${mode} ${k.name}`, async () => {
          const want = k.expect(sdk, mode);
          for (const c of customers) {
            const feature = `${k.name}.${sdk}.${mode}.${c.name}`;
            const { error, deltas } = await call(c, sdk, mode, feature, k, k.scenario(sdk, mode));
            // A client that left returns before its call is recorded.
            const [row] = await eventually(async () => {
              const rows = await rowsOf(h, feature);
              assert.equal(rows.length, 1, `${c.name}: one row`);
              return rows;
            }, 5000);
            assert.ok(row);
            assert.equal(row.status, want.status, `${c.name}: status`);
            assert.equal(row.errorCode, want.code, `${c.name}: error code`);
            // Streamed when the answer began as a stream (not an error before or instead of one).
            if (want.sdk === 'ok' || want.sdk === 'in-stream' || want.sdk === 'abort')
              assert.equal(row.streamed, mode === 'stream');
            assertClientSaw(sdk, error, want, row);
            if (want.sdk === 'abort') assert.equal(deltas, k.client?.abortAfterDeltas);
            assertCost(sdk, row, want.cost, deltas);
            await assertNothingHeld(h, c);
            assert.equal((await rowsOf(h, feature)).length, 1, `${c.name}: still one row`);
          }
        });

  test('a call queued for budget whose client leaves stops waiting, is recorded 499 and never goes upstream', async () => {
    const name = 'queued';
    const { key } = await createVirtualKey(h.gateway.store, { customer: name, now: Date.now() });
    const client = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    const body = {
      model: MODELS.openai,
      max_tokens: 300,
      messages: [{ role: 'user' as const, content: PROMPT }],
    };
    // A wallet with room for nothing yet: the refusal names the worst case of this call.
    await admin(h, 'POST', `/wallets/${name}/top-ups`, { amount_usd: '0.000000000001' });
    const refusal = await client.chat.completions.create(body).catch((e: unknown) => e);
    assert.ok(refusal instanceof OpenAI.APIError && refusal.status === 402);
    const worst = usdToPico(String((refusal.error as { needed?: unknown }).needed));
    // Room for one call in flight, not two.
    await admin(h, 'POST', `/wallets/${name}/top-ups`, { amount_usd: picoDecimal((worst * 3n) / 2n) });
    const slow = {
      kind: 'reply',
      text: ANSWER,
      firstByteDelayMs: SLOW_MS,
      usage: { inputTokens: 20, outputTokens: 30 },
    };
    const upstreamBefore = h.standin.requests.length;
    const first = client.chat.completions.create(body, {
      headers: { 'x-margin-feature': 'first', 'x-standin-scenario': JSON.stringify(slow) },
    });
    await eventually(async () => assert.equal(h.standin.requests.length, upstreamBefore + 1));
    const queued = await client.chat.completions
      .create(
        { ...body, messages: [{ role: 'user', content: 'queued behind the first call' }] },
        { headers: { 'x-margin-feature': 'queued' }, timeout: CLIENT_TIMEOUT_MS },
      )
      .catch((e: unknown) => e);
    assert.ok(queued instanceof OpenAI.APIConnectionTimeoutError, `client timed out, got ${String(queued)}`);
    const row = await eventually(async () => {
      const rows = await rowsOf(h, 'queued');
      assert.equal(rows.length, 1);
      return rows[0] as LedgerRow;
    });
    assert.equal(row.status, 499);
    assert.equal(row.errorCode, 'client_closed');
    assert.equal(row.costPico, 0, 'it never reached a model');
    await first;
    assert.equal(h.standin.requests.length, upstreamBefore + 1, 'the queued call never went upstream');
    assert.ok(!h.standin.requests.some((r) => r.rawBody.includes('queued behind')));
    const served = (await rowsOf(h, 'first'))[0];
    assert.equal(served?.status, 200);
    const cost = expectedPico('openai', MODELS.openai, { input: 20, output: 30 });
    assert.equal(BigInt(served?.costPico ?? -1), cost);
    const wallet = (await admin(h, 'GET', `/wallets/${name}`)) as { balance_usd: string };
    assert.equal(usdToPico(wallet.balance_usd), 1n + (worst * 3n) / 2n - cost);
    assert.equal(journaledOpen(h, name), 0);
  });
});
