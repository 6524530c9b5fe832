import { z } from 'zod';
import { isValidId } from '../../identity/virtual-keys.js';
import {
  absent,
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
} from './field-parsers.js';
import type { FieldProblem, ImportRecord } from './types.js';

// The native record, validated field by field (parsers in field-parsers.ts). Unknown fields are ignored.

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

export interface ValidateOptions {
  /** Fields naming the customer, first non-empty wins (native: workspace_id, then user_id). */
  customerFields: readonly string[];
  /** Native field → the name it has in the file (LiteLLM's columns), for error reports. */
  names?: Readonly<Record<string, string>>;
}

/** Validates one native record: the typed record, or every field at fault. */
export function validateRecord(
  fields: Record<string, unknown>,
  opts: ValidateOptions,
): ImportRecord | FieldProblem[] {
  const name = (f: string) => opts.names?.[f] ?? f;
  const problems: FieldProblem[] = [];
  // Every field is passed, absent ones as null: zod skips a missing key's parser (and its default).
  const input: Record<string, unknown> = {};
  for (const k of FIELDS) input[k] = fields[k] ?? null;
  const parsed = recordSchema.safeParse(input);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      problems.push({ field: name(String(issue.path[0] ?? '?')), problem: issue.message });
  const customer = pickCustomer(fields, opts.customerFields);
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

function pickCustomer(
  fields: Record<string, unknown>,
  candidates: readonly string[],
): { field: string; value: string } | string {
  for (const f of candidates) {
    const v = fields[f];
    if (absent(v)) continue;
    if (typeof v === 'number' && Number.isSafeInteger(v)) return { field: f, value: String(v) };
    return { field: f, value: typeof v === 'string' ? v : JSON.stringify(v) };
  }
  return 'required: no customer id in the record';
}
