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
  const id = get('request_id', requestId);
  const model = get('model', MODEL);
  const modelRequested = get('model_requested', MODEL_REQUESTED);
  const featureName = get('feature', feature);
  const providerId = get('provider', provider);
  const inputTokens = get('input_tokens', REQUIRED_COUNT);
  const outputTokens = get('output_tokens', REQUIRED_COUNT);
  const reasoningTokens = get('reasoning_tokens', OPTIONAL_COUNT);
  const cacheReadTokens = get('cache_read_tokens', OPTIONAL_COUNT);
  const cacheWriteTokens = get('cache_write_tokens', OPTIONAL_COUNT);
  const cacheWrite1hTokens = get('cache_write_1h_tokens', OPTIONAL_COUNT);
  const cacheHit = get('cache_hit', flag);
  const latencyMs = get('latency_ms', millis);
  const ttftMs = get('ttft_ms', millis);
  const costPico = get('cost_usd', cost);
  const ts = get('timestamp', timestamp);
  const httpStatus = get('status', status);
  const tagList = get('tags', tags);
  const customer = pickCustomer(fields, opts.customerFields);
  if (typeof customer === 'string')
    problems.push({ field: opts.customerFields.join(' or '), problem: customer });
  else if (!isValidId(customer.value))
    problems.push({
      field: opts.names?.[customer.field] ?? customer.field,
      problem: `customer id must be ${ID_RULE} (got ${shown(customer.value)})`,
    });
  if (problems.length > 0) return problems;
  // Built as one literal (a spread of a partial record cost as much as all the checks above).
  return {
    requestId: id,
    customer: (customer as { value: string }).value,
    feature: featureName,
    model,
    modelRequested: modelRequested ?? model,
    provider: providerId,
    inputTokens,
    outputTokens,
    reasoningTokens,
    cacheReadTokens,
    cacheWriteTokens,
    cacheWrite1hTokens,
    cacheHit,
    latencyMs: latencyMs ?? 0,
    ttftMs,
    costPico,
    ts,
    status: httpStatus,
    tags: tagList,
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
