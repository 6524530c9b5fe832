// The import's record validator (plain calls to the field parsers) against the zod schema it replaced,
// kept here as the reference: over good records, every field with values of every kind, several bad
// fields at once, LiteLLM's column names and random records, both give the same record or the same
// problems, in the same order, with the same messages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import {
  cost,
  count,
  feature,
  flag,
  ID_RULE,
  millis,
  type Parse,
  Problem,
  provider,
  requestId,
  required,
  shown,
  status,
  tags,
  text,
  timestamp,
} from '../src/economics/import/field-parsers.js';
import type { FieldProblem, ImportRecord } from '../src/economics/import/types.js';
import { type ValidateOptions, validateRecord } from '../src/economics/import/validate-record.js';
import { isValidId } from '../src/identity/virtual-keys.js';

// ---- The reference: the zod-based validator as it was before the fast path. ----
function field<T>(parse: Parse<T>) {
  return z.unknown().transform((v, ctx) => {
    const r = parse(v);
    if (r instanceof Problem) {
      ctx.addIssue({ code: 'custom', message: r.message, input: v });
      return z.NEVER;
    }
    return r;
  });
}
const recordSchema = z.object({
  request_id: field(requestId),
  model: field(required(text(256, 'a model name of at most 256 printable characters'))),
  model_requested: field(text(256, 'a model name of at most 256 printable characters')),
  feature: field(feature),
  provider: field(provider),
  input_tokens: field(count(true)),
  output_tokens: field(count(true)),
  reasoning_tokens: field(count(false)),
  cache_read_tokens: field(count(false)),
  cache_write_tokens: field(count(false)),
  cache_write_1h_tokens: field(count(false)),
  cache_hit: field(flag),
  latency_ms: field(millis),
  ttft_ms: field(millis),
  cost_usd: field(cost),
  timestamp: field(timestamp),
  status: field(status),
  tags: field(tags),
});
const FIELDS = Object.keys(recordSchema.shape);

function reference(fields: Record<string, unknown>, opts: ValidateOptions): ImportRecord | FieldProblem[] {
  const name = (f: string) => opts.names?.[f] ?? f;
  const problems: FieldProblem[] = [];
  const input: Record<string, unknown> = {};
  for (const k of FIELDS) input[k] = fields[k] ?? null;
  const parsed = recordSchema.safeParse(input);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      problems.push({ field: name(String(issue.path[0] ?? '?')), problem: issue.message });
  let customer: { field: string; value: string } | string = 'required: no customer id in the record';
  for (const f of opts.customerFields) {
    const v = fields[f];
    if (v === undefined || v === null || v === '') continue;
    customer =
      typeof v === 'number' && Number.isSafeInteger(v)
        ? { field: f, value: String(v) }
        : { field: f, value: typeof v === 'string' ? v : JSON.stringify(v) };
    break;
  }
  if (typeof customer === 'string')
    problems.push({ field: opts.customerFields.join(' or '), problem: customer });
  else if (!isValidId(customer.value))
    problems.push({
      field: name(customer.field),
      problem: `customer id must be ${ID_RULE} (got ${shown(customer.value)})`,
    });
  const d = parsed.data;
  if (!d || problems.length > 0) return problems;
  return {
    requestId: d.request_id,
    customer: (customer as { value: string }).value,
    feature: d.feature,
    model: d.model,
    modelRequested: d.model_requested ?? d.model,
    provider: d.provider,
    inputTokens: d.input_tokens,
    outputTokens: d.output_tokens,
    reasoningTokens: d.reasoning_tokens,
    cacheReadTokens: d.cache_read_tokens,
    cacheWriteTokens: d.cache_write_tokens,
    cacheWrite1hTokens: d.cache_write_1h_tokens,
    cacheHit: d.cache_hit,
    latencyMs: d.latency_ms ?? 0,
    ttftMs: d.ttft_ms,
    costPico: d.cost_usd,
    ts: d.timestamp,
    status: d.status,
    tags: d.tags,
  };
}

// ---- The corpus. ----
const GOOD: Record<string, unknown> = {
  request_id: 'r-1',
  workspace_id: 'ws_1',
  user_id: 'u_1',
  feature: 'chat',
  model: 'gpt-4o-mini',
  input_tokens: 1200,
  output_tokens: 80,
  cache_read_tokens: 600,
  cache_write_tokens: 300,
  cache_write_1h_tokens: 100,
  reasoning_tokens: 20,
  cache_hit: false,
  latency_ms: 812.5,
  ttft_ms: 120,
  cost_usd: '0.00123',
  timestamp: '2025-03-01T10:00:00.000Z',
  status: 200,
  tags: ['a', 'b'],
  provider: 'openai',
  model_requested: 'gpt-4o',
};

/** Values of every kind a JSON or CSV record may hold: absent, empty, good and bad for most fields. */
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  0,
  -1,
  1.5,
  42,
  '42',
  ' 7 ',
  'abc',
  true,
  false,
  'true',
  'no',
  [],
  ['x', 'y'],
  'x,y, z',
  { a: 1 },
  1e13,
  1743465600,
  1743465600000,
  '2025-03-01',
  '2025-03-01 10:00:00+02',
  'yesterday',
  '0.5',
  '1e-7',
  '-0.01',
  '99999',
  'bad id!',
  'a'.repeat(300),
  'gpt-4o\u0007',
  599,
  600,
];

const CUSTOMER_FIELDS = ['workspace_id', 'user_id'];
const LITELLM = { customerFields: ['end_user', 'user', 'team_id'], names: { input_tokens: 'prompt_tokens' } };

function same(fields: Record<string, unknown>, opts: ValidateOptions, what: string): void {
  assert.deepEqual(validateRecord(fields, opts), reference(fields, opts), what);
}

test('a good record, and each field on its own with values of every kind', () => {
  same(GOOD, { customerFields: CUSTOMER_FIELDS }, 'good');
  const keys = [...FIELDS, 'workspace_id', 'user_id'];
  let bad = 0;
  for (const k of keys)
    for (const v of VALUES) {
      const rec = { ...GOOD, [k]: v };
      same(rec, { customerFields: CUSTOMER_FIELDS }, `${k} = ${JSON.stringify(v)}`);
      if (Array.isArray(reference(rec, { customerFields: CUSTOMER_FIELDS }))) bad++;
    }
  // The corpus really exercises the problems: most single-field changes are bad rows.
  assert.ok(bad > keys.length * 10, `${bad} bad records`);
});

test('several bad fields at once keep their order; LiteLLM names; a missing customer', () => {
  const rec = { ...GOOD, request_id: '', input_tokens: 'abc', timestamp: 'yesterday', tags: { a: 1 } };
  const got = validateRecord(rec, { customerFields: CUSTOMER_FIELDS });
  assert.deepEqual(
    (got as FieldProblem[]).map((p) => p.field),
    ['request_id', 'input_tokens', 'timestamp', 'tags'],
  );
  same(rec, { customerFields: CUSTOMER_FIELDS }, 'four bad fields');
  same(rec, LITELLM, 'LiteLLM names, no customer');
  same({ ...rec, team_id: 'bad id!' }, LITELLM, 'LiteLLM, bad team id');
  same(
    { ...GOOD, workspace_id: undefined, user_id: 12345 },
    { customerFields: CUSTOMER_FIELDS },
    'numeric user',
  );
});

test('random records give the same result', () => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const keys = [...FIELDS, 'workspace_id', 'user_id', 'end_user'];
  for (let i = 0; i < 3000; i++) {
    const rec: Record<string, unknown> = {};
    for (const k of keys) {
      const r = rand();
      if (r < 0.5) rec[k] = GOOD[k];
      else if (r < 0.9) rec[k] = VALUES[Math.floor(rand() * VALUES.length)];
    }
    same(rec, i % 3 === 0 ? LITELLM : { customerFields: CUSTOMER_FIELDS }, JSON.stringify(rec));
  }
});
