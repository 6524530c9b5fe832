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

// The native record, validated field by field (parsers in field-parsers.ts) in a fixed order, which is the
// order its problems are reported in. Unknown fields are ignored. Plain calls rather than a zod schema:
// this runs once per imported row, where zod's per-field machinery cost several times the checks.

const MODEL = required(text(256, 'a model name of at most 256 printable characters'));
const MODEL_REQUESTED = text(256, 'a model name of at most 256 printable characters');
const REQUIRED_COUNT = count(true);
const OPTIONAL_COUNT = count(false);

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
  const problems: FieldProblem[] = [];
  // An absent field is passed as null, like a JSON null or an empty CSV cell.
  const get = <T>(field: string, parse: Parse<T>): T => {
    const r = parse(fields[field] ?? null);
    if (r instanceof Problem) problems.push({ field: opts.names?.[field] ?? field, problem: r.message });
    return r as T;
  };
  const rec = {
    requestId: get('request_id', requestId),
    model: get('model', MODEL),
    modelRequested: get('model_requested', MODEL_REQUESTED),
    feature: get('feature', feature),
    provider: get('provider', provider),
    inputTokens: get('input_tokens', REQUIRED_COUNT),
    outputTokens: get('output_tokens', REQUIRED_COUNT),
    reasoningTokens: get('reasoning_tokens', OPTIONAL_COUNT),
    cacheReadTokens: get('cache_read_tokens', OPTIONAL_COUNT),
    cacheWriteTokens: get('cache_write_tokens', OPTIONAL_COUNT),
    cacheWrite1hTokens: get('cache_write_1h_tokens', OPTIONAL_COUNT),
    cacheHit: get('cache_hit', flag),
    latencyMs: get('latency_ms', millis),
    ttftMs: get('ttft_ms', millis),
    costPico: get('cost_usd', cost),
    ts: get('timestamp', timestamp),
    status: get('status', status),
    tags: get('tags', tags),
  };
  const customer = pickCustomer(fields, opts.customerFields);
  if (typeof customer === 'string')
    problems.push({ field: opts.customerFields.join(' or '), problem: customer });
  else if (!isValidId(customer.value))
    problems.push({
      field: opts.names?.[customer.field] ?? customer.field,
      problem: `customer id must be ${ID_RULE} (got ${shown(customer.value)})`,
    });
  if (problems.length > 0) return problems;
  return {
    ...rec,
    customer: (customer as { value: string }).value,
    modelRequested: rec.modelRequested ?? rec.model,
    latencyMs: rec.latencyMs ?? 0,
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
