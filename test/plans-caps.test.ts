// Plans through the official SDKs: soft threshold and lane switch, hard cap (402 with the upgrade
// fields), throttle, feature sub-quotas, rate limits, quota headers, the usage endpoint, cycle reset and
// plan changes on an injected clock.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { PlansError, parsePlans, readPlansFile } from '../src/limits/plans-file.js';
import { ROOT, runCli } from './helpers/cli.js';
import { expectedPico } from './helpers/expected-cost.js';
import { type Harness, startHarness } from './helpers/harness.js';
import { admin, applyPlans, ManualClock, outboxEvents, setPlan } from './helpers/limits.js';

const T0 = Date.parse('2026-11-20T12:00:00Z');
const UPGRADE = 'https://app.example.com/billing/upgrade';
const ask = (model = 'gpt-4o', extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) => ({
  model,
  messages: [{ role: 'user' as const, content: 'Summarise the quarterly report.' }],
  max_tokens: 50,
  ...extra,
});

describe('plans.yaml validation', () => {
  test('errors name the plan and the field', () => {
    const bad = (doc: unknown, field: RegExp) =>
      assert.throws(
        () => parsePlans(doc),
        (e: unknown) => e instanceof PlansError && field.test(e.message),
      );
    bad(
      { plans: { pro: { priceUsd: 49, budget: { unit: 'euros', amount: 10 } } } },
      /plans\.pro\.budget\.unit/,
    );
    bad({ plans: { pro: { priceUsd: -1 } } }, /plans\.pro\.priceUsd/);
    bad(
      { plans: { pro: { priceUsd: 9, budget: { unit: 'credits', amount: 100 } } } },
      /plans\.pro\.budget\.creditsPerUsd/,
    );
    bad({ plans: { pro: { priceUsd: 9, hardCap: { action: 'explode' } } } }, /plans\.pro\.hardCap\.action/);
    bad(
      { plans: { pro: { priceUsd: 9, budget: { unit: 'usd', amount: 5 }, features: { doc: {} } } } },
      /plans\.pro\.features\.doc/,
    );
    bad({ plans: { pro: { priceUsd: 9, rateLimits: { rpm: 0 } } } }, /plans\.pro\.rateLimits\.rpm/);
    bad({ plans: { pro: { priceUsd: 9, rateLimits: { tpm: 1e12 } } } }, /plans\.pro\.rateLimits\.tpm/);
    bad({ plans: { 'bad name!': { priceUsd: 9 } } }, /plans/);
    bad({ plans: { pro: { priceUsd: 9, surprise: true } } }, /plans\.pro/);
  });

  test('plans may be a list with names, and snake_case field names are accepted', () => {
    const plans = parsePlans({
      plans: [
        {
          name: 'pro',
          price_usd: 49,
          budget: { unit: 'credits', amount: 100, credits_per_run: { long_doc: 5 } },
          soft: { threshold_percent: 75, lanes: { 'claude-sonnet-4-5': 'claude-haiku-4-5' } },
          hard_cap: { action: 'throttle', concurrency: 2 },
          features: { long_doc: { max_percent: 20 } },
          rate_limits: { rpm: 60, key_tpm: 1000 },
        },
      ],
    });
    assert.equal(plans.pro?.priceUsd, '49');
    assert.deepEqual(plans.pro?.budget?.creditsPerRun, { long_doc: '5' }, 'user keys are kept as written');
    assert.equal(plans.pro?.soft.thresholdPercent, 75);
    assert.equal(plans.pro?.hardCap.action, 'throttle');
    assert.equal(plans.pro?.features.long_doc?.maxPercent, 20);
    assert.equal(plans.pro?.rateLimits.keyTpm, 1000);
  });

  test('the documented examples/plans.yaml is valid', () => {
    const plans = readPlansFile(join(ROOT, 'examples', 'plans.yaml'));
    assert.deepEqual(Object.keys(plans), ['starter', 'growth', 'scale', 'pay-as-you-go']);
    assert.equal(plans.growth?.hardCap.action, 'throttle');
  });

  test('`margin plans apply` rejects a bad file naming the field, then applies a good one', async () => {
    const dir = tmpdir();
    const db = join(dir, `plans-${process.pid}-${Date.now()}.db`);
    const badFile = join(dir, `bad-plans-${process.pid}.yaml`);
    writeFileSync(badFile, 'plans:\n  starter:\n    priceUsd: 29\n    budget: { unit: usd, amount: lots }\n');
    const bad = await runCli(['plans', 'apply', badFile, '--db', db]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /plans\.starter\.budget\.amount/);
    const goodFile = join(dir, `good-plans-${process.pid}.yaml`);
    writeFileSync(
      goodFile,
      'plans:\n  starter:\n    priceUsd: 29\n    budget: { unit: usd, amount: 5 }\n  pro:\n    priceUsd: 99\n    budget: { unit: credits, amount: 5000, creditsPerUsd: 100 }\n',
    );
    const good = await runCli(['plans', 'apply', goodFile, '--db', db]);
    assert.equal(good.code, 0, good.stderr);
    const set = await runCli(['customers', 'set-plan', 'acme', 'pro', '--cycle-day', '15', '--db', db]);
    assert.equal(set.code, 0, set.stderr);
    const unknown = await runCli(['customers', 'set-plan', 'acme', 'platinum', '--db', db]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /plan: no plan named "platinum"/);
    const flags = await runCli([
      'customers',
      'set-plan',
      '--customer',
      'bob',
      '--plan',
      'starter',
      '--db',
      db,
    ]);
    assert.equal(flags.code, 0, flags.stderr);
    const topUp = await runCli(['wallets', 'top-up', 'acme', '12.5', '--reason', 'pack', '--db', db]);
    assert.equal(topUp.code, 0, topUp.stderr);
    assert.equal(topUp.stdout.trim(), '12.5', 'prints the new balance');
    const topUp2 = await runCli(['wallets', 'top-up', '--customer', 'acme', '--amount', '2.5', '--db', db]);
    assert.equal(topUp2.stdout.trim(), '15');
    const badAmount = await runCli(['wallets', 'top-up', 'acme', '-3', '--db', db]);
    assert.equal(badAmount.code, 1);
    const shown = JSON.parse((await runCli(['wallets', 'show', 'acme', '--json', '--db', db])).stdout) as {
      balance_usd: string;
      entries: { amount_usd: string; reason: string }[];
    };
    assert.equal(shown.balance_usd, '15');
    assert.deepEqual(
      shown.entries.map((e) => [e.amount_usd, e.reason]),
      [
        ['2.5', 'top_up'],
        ['12.5', 'pack'],
      ],
    );
    const list = await runCli(['customers', 'list', '--json', '--db', db]);
    const customers = JSON.parse(list.stdout) as { id: string; plan: string; cycleDay: number }[];
    assert.deepEqual(
      customers.map((c) => [c.id, c.plan]),
      [
        ['acme', 'pro'],
        ['bob', 'starter'],
      ],
    );
    assert.equal(customers[0]?.cycleDay, 15);
  });
});

describe('soft threshold, lanes and hard cap (runs budget)', () => {
  let h: Harness;
  const clock = new ManualClock(T0);
  before(async () => {
    h = await startHarness({ clock, env: { MARGIN_UPGRADE_URL: UPGRADE } });
  });
  after(() => h.close());
  beforeEach(() => h.standin.reset());

  test('80% → one soft event and the cheaper lane in the ledger; 100% → 402 with the upgrade fields', async () => {
    await applyPlans(h, {
      starter: {
        priceUsd: 29,
        budget: { unit: 'runs', amount: 10 },
        soft: { thresholdPercent: 80, lanes: { 'gpt-4o': 'gpt-4o-mini' } },
      },
      growth: { priceUsd: 99, budget: { unit: 'runs', amount: 100 } },
      scale: { priceUsd: 299, budget: { unit: 'runs', amount: 1000 } },
    });
    await setPlan(h, 'acme', 'starter', { cycle_day: 1 });
    for (let i = 0; i < 8; i++) {
      const { response } = await h.openai.chat.completions.create(ask()).withResponse();
      assert.equal(response.headers.get('x-margin-budget-used'), String(i + 1), 'headers include this call');
      assert.equal(response.headers.get('x-margin-budget-limit'), '10');
      assert.equal(response.headers.get('x-margin-budget-reset'), '2026-12-01T00:00:00.000Z');
    }
    let rows = await h.rows();
    assert.ok(rows.every((r) => r.modelRouted === null));
    assert.deepEqual(
      (await outboxEvents(h)).map((e) => e.type),
      ['budget.soft_reached'],
      'the 8th run crossed 80%',
    );

    const ninth = await h.openai.chat.completions.create(ask());
    assert.equal(ninth.model, 'gpt-4o-mini', 'past the soft threshold gpt-4o goes to its cheaper lane');
    const sent = h.standin.requests.at(-1)?.body as { model: string };
    assert.equal(sent.model, 'gpt-4o-mini', 'the upstream was asked for the lane model');
    rows = await h.rows();
    assert.equal(rows[0]?.modelRequested, 'gpt-4o');
    assert.equal(rows[0]?.modelRouted, 'gpt-4o-mini');
    await h.openai.chat.completions.create(ask());

    const err = await h.openai.chat.completions.create(ask()).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, 'the SDK raises a typed error');
    assert.equal(err.status, 402);
    assert.match(err.message, /budget reached on plan starter: used 10 runs of 10 runs/i);
    assert.match(err.message, new RegExp(UPGRADE.replaceAll('.', '\\.')));
    const body = err.error as Record<string, unknown>;
    assert.equal(body.code, 'budget_exceeded');
    assert.equal(body.plan, 'starter');
    assert.equal(body.used, '10');
    assert.equal(body.cap, '10');
    assert.equal(body.reset_at, '2026-12-01T00:00:00.000Z');
    assert.equal(body.upgrade_url, UPGRADE);
    assert.equal(err.headers?.get('x-margin-budget-remaining'), '0', 'refusals carry the quota headers too');

    // Anthropic's SDK gets the same refusal in its own error shape.
    const anthropic = await h.anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    assert.ok(anthropic instanceof Anthropic.APIError);
    assert.equal(anthropic.status, 402);
    assert.equal((anthropic.error as { error: { type: string } }).error.type, 'billing_error');

    const events = await outboxEvents(h);
    assert.deepEqual(
      events.map((e) => e.type),
      ['budget.soft_reached', 'budget.exhausted', 'budget.blocked'],
      'each threshold fires once per cycle, however many calls are refused; blocked at the first 402',
    );
    const exhausted = events[1]?.payload ?? {};
    assert.equal(exhausted.used, '10');
    assert.equal(exhausted.plan, 'starter');
    // 10 runs in 19.5 days of a 30-day cycle → 10 / 19.5 × 30 ≈ 15.4 runs projected → growth covers it.
    assert.equal(exhausted.days_elapsed, 19.5);
    assert.equal(exhausted.projected_cycle_usage, '15', 'runs round to the nearest whole run');
    const blocked = events[2]?.payload ?? {};
    assert.equal(blocked.code, 'budget_exceeded');
    assert.equal(blocked.used, '10');
    assert.deepEqual(blocked.recommended_plan, exhausted.recommended_plan, 'the same upgrade math');
    assert.deepEqual(exhausted.recommended_plan, { name: 'growth', price_usd: '99', budget: '100' });
    assert.equal(exhausted.upgrade_url, UPGRADE);
    const refused = (await h.rows()).filter((r) => r.status === 402);
    assert.equal(refused.length, 2, 'refused calls are in the ledger, at no cost');
    assert.ok(refused.every((r) => r.costPico === 0 && r.errorCode === 'budget_exceeded'));
  });

  test('cycle reset on the customer’s day, and a plan change takes effect at once', async () => {
    // Still capped (previous test) until the cycle turns on Dec 1 00:00 UTC.
    await assert.rejects(h.openai.chat.completions.create(ask()), { status: 402 });
    await setPlan(h, 'acme', 'growth');
    const upgraded = await h.openai.chat.completions.create(ask()).withResponse();
    assert.equal(upgraded.response.headers.get('x-margin-budget-limit'), '100', 'upgrade applies at once');
    assert.equal(upgraded.response.headers.get('x-margin-budget-used'), '11');
    await setPlan(h, 'acme', 'starter');
    await assert.rejects(h.openai.chat.completions.create(ask()), { status: 402 });
    clock.t = Date.parse('2026-12-01T00:00:00Z');
    const fresh = await h.openai.chat.completions.create(ask()).withResponse();
    assert.equal(fresh.response.headers.get('x-margin-budget-used'), '1', 'a new cycle starts from zero');
    assert.equal(fresh.response.headers.get('x-margin-budget-reset'), '2027-01-01T00:00:00.000Z');
    assert.equal(fresh.data.model, 'gpt-4o', 'and the lane is back to the requested model');
  });

  test('GET /v1/margin/usage shows the customer its own usage, cap and pace', async () => {
    clock.t = Date.parse('2026-12-11T00:00:00Z'); // 10 days into the cycle
    const res = await fetch(`${h.gateway.url}/v1/margin/usage`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    assert.equal(res.status, 200);
    const u = (await res.json()) as {
      customer: string;
      plan: { name: string };
      budget: {
        unit: string;
        cap: string;
        used: string;
        remaining: string;
        reset_at: string;
        pace: Record<string, unknown>;
      };
    };
    assert.equal(u.customer, 'acme');
    assert.equal(u.plan.name, 'starter');
    assert.equal(u.budget.unit, 'runs');
    assert.equal(u.budget.used, '1');
    assert.equal(u.budget.remaining, '9');
    assert.equal(u.budget.reset_at, '2027-01-01T00:00:00.000Z');
    assert.equal(u.budget.pace.days_elapsed, 10);
    assert.equal(u.budget.pace.projected_cycle_usage, '3', '1 run in 10 of 31 days → 3.1 → 3 (nearest run)');
    const anon = await fetch(`${h.gateway.url}/v1/margin/usage`);
    assert.equal(anon.status, 401);
  });
});

describe('USD budgets: exact worst case, smaller max_tokens, feature sub-quotas, throttle, rate limits', () => {
  let h: Harness;
  const clock = new ManualClock(T0);
  before(async () => {
    h = await startHarness({ clock });
  });
  after(() => h.close());
  beforeEach(() => h.standin.reset());

  test('a request whose max_tokens does not fit is refused with the largest max_tokens that would', async () => {
    // gpt-4o-mini output is $0.60/MTok: 1,000 output tokens cost 600,000,000 pico-USD.
    const out1000 = expectedPico('openai', 'gpt-4o-mini', { input: 0, output: 1000 });
    await applyPlans(h, { tiny: { priceUsd: 5, budget: { unit: 'usd', amount: '0.0005' } } });
    await setPlan(h, 'acme', 'tiny', { cycle_day: 1 });
    const err = await h.openai.chat.completions
      .create(ask('gpt-4o-mini', { max_tokens: 1000 }))
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 402);
    const body = err.error as Record<string, unknown>;
    const suggested = body.suggested_max_tokens as number;
    assert.ok(Number.isInteger(suggested) && suggested > 0 && suggested < 1000);
    assert.ok(out1000 > 500_000_000n, 'the worst case alone exceeds the $0.0005 cap');
    assert.match(err.message, new RegExp(`max_tokens ≤ ${suggested}`));
    h.standin.setDefault({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 5 } });
    const ok = await h.openai.chat.completions.create(ask('gpt-4o-mini', { max_tokens: suggested }));
    assert.equal(ok.usage?.completion_tokens, 5, 'the suggested max_tokens fits and is served');
    const row = (await h.rows())[0];
    assert.equal(
      BigInt(row?.costPico ?? -1),
      expectedPico('openai', 'gpt-4o-mini', { input: 10, output: 5 }),
    );
    // A plan that prefers a shorter answer to a refusal lowers max_tokens to what fits.
    await applyPlans(h, {
      tiny: { priceUsd: 5, budget: { unit: 'usd', amount: '0.0005' }, hardCap: { lowerMaxTokens: true } },
    });
    h.standin.reset();
    const lowered = await h.openai.chat.completions.create(ask('gpt-4o-mini', { max_tokens: 1000 }));
    assert.equal(lowered.object, 'chat.completion');
    const sent = h.standin.requests.at(-1)?.body as { max_tokens: number };
    assert.ok(sent.max_tokens < suggested && sent.max_tokens > 0, `sent max_tokens ${sent.max_tokens}`);
    const spent = (await h.rows()).reduce((s, r) => s + BigInt(r.costPico ?? 0), 0n);
    assert.ok(spent <= 500_000_000n, 'still within the cap');
  });

  test('a call without max_tokens is sent with the output cap its reservation assumed', async () => {
    await applyPlans(h, { roomy: { priceUsd: 5, budget: { unit: 'usd', amount: '10' } } });
    await setPlan(h, 'acme', 'roomy');
    h.standin.reset();
    // A special-token string in a prompt is text to count, not an error.
    const content = 'hi <|endoftext|> there';
    await h.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    const sent = h.standin.requests.at(-1)?.body as { max_completion_tokens?: number };
    assert.equal(sent.max_completion_tokens, 4096, 'limits.defaultMaxOutputTokens bounds the answer');
    // When 4096 output tokens no longer fit, a call without max_tokens gets the largest cap that does.
    await applyPlans(h, { roomy: { priceUsd: 5, budget: { unit: 'usd', amount: '0.001' } } });
    await h.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    const lowered = h.standin.requests.at(-1)?.body as { max_completion_tokens?: number };
    assert.ok((lowered.max_completion_tokens ?? 0) < 4096 && (lowered.max_completion_tokens ?? 0) > 100);
  });

  test('a feature sub-quota refuses that feature only', async () => {
    await applyPlans(h, {
      docs: {
        priceUsd: 49,
        budget: { unit: 'runs', amount: 10 },
        features: { 'long-doc': { maxPercent: 20 } },
      },
    });
    await setPlan(h, 'acme', 'docs');
    clock.t = Date.parse('2027-02-01T00:00:00Z'); // a fresh cycle
    const longDoc = new OpenAI({
      apiKey: h.key,
      baseURL: `${h.gateway.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-margin-feature': 'long-doc' },
    });
    await longDoc.chat.completions.create(ask());
    await longDoc.chat.completions.create(ask());
    const err = await longDoc.chat.completions.create(ask()).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 402);
    assert.equal((err.error as Record<string, unknown>).code, 'feature_quota_exceeded');
    assert.equal((err.error as Record<string, unknown>).feature, 'long-doc');
    await h.openai.chat.completions.create(ask()); // the default feature still has budget
  });

  test('throttle at the cap: the cheaper lane, one call at a time, not a refusal', async () => {
    await applyPlans(h, {
      lane: {
        priceUsd: 19,
        budget: { unit: 'runs', amount: 2 },
        hardCap: { action: 'throttle', lanes: { 'gpt-4o': 'gpt-4o-mini' }, concurrency: 1 },
      },
    });
    await setPlan(h, 'acme', 'lane');
    clock.t = Date.parse('2027-03-01T00:00:00Z');
    await h.openai.chat.completions.create(ask());
    await h.openai.chat.completions.create(ask());
    h.standin.setDefault({ kind: 'reply', firstByteDelayMs: 150 });
    const t = performance.now();
    const answers = await Promise.all([1, 2, 3].map(() => h.openai.chat.completions.create(ask())));
    const elapsed = performance.now() - t;
    assert.deepEqual(
      answers.map((a) => a.model),
      ['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o-mini'],
      'past the cap every call is served, on the cheaper lane',
    );
    assert.ok(elapsed >= 3 * 150, `one at a time: 3 × 150 ms took ${elapsed.toFixed(0)} ms`);
  });

  test('RPM per customer and TPM per key: 429 with retry-after in each protocol', async () => {
    await applyPlans(h, { limited: { priceUsd: 9, rateLimits: { rpm: 2, keyTpm: 100_000 } } });
    await setPlan(h, 'acme', 'limited');
    const first = await h.openai.chat.completions.create(ask()).withResponse();
    assert.equal(first.response.headers.get('x-ratelimit-limit-requests'), '2');
    assert.equal(first.response.headers.get('x-ratelimit-remaining-requests'), '1');
    await h.openai.chat.completions.create(ask());
    const err = await h.openai.chat.completions.create(ask()).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 429);
    assert.equal(err.headers?.get('x-ratelimit-remaining-requests'), '0');
    assert.equal(err.headers?.get('retry-after'), '30', 'one request refills in 30 s at 2 rpm');
    const a = await h.anthropic.messages
      .create({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    assert.ok(a instanceof Anthropic.APIError);
    assert.equal(a.status, 429);
    assert.equal((a.error as { error: { type: string } }).error.type, 'rate_limit_error');
    clock.advance(30_000);
    await h.openai.chat.completions.create(ask()); // the injected clock refilled one request
    clock.advance(60_000);
    const huge = await h.openai.chat.completions
      .create(ask('gpt-4o', { max_tokens: 120_000 }))
      .catch((e: unknown) => e);
    assert.ok(huge instanceof OpenAI.APIError);
    assert.equal(huge.status, 429, 'a call bigger than the key’s TPM is refused');
    await setPlan(h, 'acme', null);
  });

  test('hybrid plan: usage past the budget is billed as overage, not blocked', async () => {
    await applyPlans(h, {
      hybrid: {
        priceUsd: 49,
        budget: { unit: 'tokens', amount: 100 },
        overage: { pricePerUnitUsd: '0.001' },
      },
    });
    await setPlan(h, 'acme', 'hybrid');
    clock.t = Date.parse('2027-04-01T00:00:00Z');
    h.standin.setDefault({ kind: 'reply', usage: { inputTokens: 50, outputTokens: 40 } });
    await h.openai.chat.completions.create(ask());
    const { response } = await h.openai.chat.completions.create(ask()).withResponse();
    assert.equal(response.headers.get('x-margin-budget-used'), '180');
    assert.equal(response.headers.get('x-margin-budget-remaining'), '0');
    const res = await fetch(`${h.gateway.url}/v1/margin/usage`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    const u = (await res.json()) as { budget: { overage: { units: string; charge_usd: string } } };
    assert.deepEqual(u.budget.overage, { units: '80', charge_usd: '0.08' });
  });

  test('credits: cost × creditsPerUsd, or a fixed price per run of a feature', async () => {
    await applyPlans(h, {
      credits: {
        priceUsd: 19,
        budget: { unit: 'credits', amount: 1000, creditsPerUsd: 10_000, creditsPerRun: { report: 25 } },
      },
    });
    await setPlan(h, 'acme', 'credits');
    clock.t = Date.parse('2027-05-01T00:00:00Z');
    h.standin.setDefault({ kind: 'reply', usage: { inputTokens: 1000, outputTokens: 500 } });
    const { response } = await h.openai.chat.completions.create(ask('gpt-4o-mini')).withResponse();
    // 10,000 credits per USD: credits = cost in pico-USD × 10^4 / 10^12, exactly.
    const pico = expectedPico('openai', 'gpt-4o-mini', { input: 1000, output: 500 });
    const credits = Number(pico * 10_000n) / 1e12;
    assert.equal(response.headers.get('x-margin-budget-used'), String(credits));
    const reports = new OpenAI({
      apiKey: h.key,
      baseURL: `${h.gateway.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-margin-feature': 'report' },
    });
    const r = await reports.chat.completions.create(ask('gpt-4o-mini')).withResponse();
    assert.equal(r.response.headers.get('x-margin-budget-used'), String(credits + 25));
    h.standin.reset();
  });

  test('plans and set-plan through the admin API are listed back', async () => {
    const plans = (await admin(h, 'GET', '/plans')) as { data: { name: string }[] };
    assert.ok(plans.data.some((p) => p.name === 'limited'));
    const c = (await admin(h, 'GET', '/customers/acme')) as {
      plan: string | null;
      usage: { plan: { name: string } };
    };
    assert.equal(c.plan, 'credits');
    assert.equal(c.usage.plan.name, 'credits');
    await setPlan(h, 'acme', null);
    assert.equal(((await admin(h, 'GET', '/customers/acme')) as { plan: string | null }).plan, null);
  });
});

describe('a call that fits once in-flight calls settle waits for them', () => {
  let h: Harness;
  before(async () => {
    const file = join(tmpdir(), `margin-wait-${process.pid}.yaml`);
    writeFileSync(file, 'limits: { maxQueueWaitMs: 1000 }\n');
    h = await startHarness({ configFile: file });
  });
  after(() => h.close());

  test('served after the in-flight call settles; refused as busy (429) only past maxQueueWaitMs', async () => {
    // 150 tokens: one call's worst case (~112: input + max_tokens 100) fits, two in flight do not,
    // and after one settles at its actual 15 tokens another fits again.
    // Warm up the connection and the JIT; the budget leaves room for this call's tokens too.
    const warm = (await h.openai.chat.completions.create(ask())).usage?.total_tokens ?? 0;
    await applyPlans(h, { tokens: { priceUsd: 5, budget: { unit: 'tokens', amount: 150 + warm } } });
    await setPlan(h, 'acme', 'tokens');
    const call = () => h.openai.chat.completions.create(ask('gpt-4o-mini', { max_tokens: 100 }));
    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 5 }, firstByteDelayMs: 150 });
    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 5 } });
    const [a, b] = await Promise.all([call(), call()]);
    assert.equal(a.usage?.total_tokens, 15);
    assert.equal(b.usage?.total_tokens, 15, 'the second call waited for the first instead of a refusal');

    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 10, outputTokens: 5 }, firstByteDelayMs: 2500 });
    const slow = call();
    await new Promise((r) => setTimeout(r, 50));
    const busy = await call().catch((e: unknown) => e);
    assert.ok(busy instanceof OpenAI.APIError);
    assert.equal(busy.status, 429);
    assert.equal((busy.error as Record<string, unknown>).code, 'budget_busy');
    assert.equal(busy.headers?.get('retry-after'), '1');
    await slow;
    const rows = await h.rows();
    assert.equal(
      rows.filter((r) => r.status === 200).reduce((s, r) => s + r.inputTokens + r.outputTokens, 0),
      45 + warm,
      'the warm-up call plus three calls of 15 tokens',
    );
  });
});
