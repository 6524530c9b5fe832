import { parseTimestamp } from './timestamp.js';
import type { FieldProblem } from './types.js';

// LiteLLM's spend log (the LiteLLM_SpendLogs table, as its UI or a database export writes it to CSV) in
// the native record's terms. Columns read: request_id, model, model_group, custom_llm_provider,
// prompt_tokens, completion_tokens, spend, startTime, endTime, request_duration_ms, completionStartTime,
// cache_hit, status, request_tags, end_user, user, team_id, and from the metadata JSON
// additional_usage_values (cache_read_input_tokens or prompt_tokens_details.cached_tokens,
// cache_creation_input_tokens, cache_creation_token_details.ephemeral_1h_input_tokens,
// completion_tokens_details.reasoning_tokens), spend_logs_metadata.feature and status.

/** The customer: the end user the app named, else the LiteLLM user, else the team. */
export const LITELLM_CUSTOMER_FIELDS = ['end_user', 'user', 'team_id'] as const;

const USAGE = 'metadata.additional_usage_values';

/** Native field → LiteLLM column, so errors name what the file calls it. */
export const LITELLM_NAMES: Readonly<Record<string, string>> = {
  input_tokens: 'prompt_tokens',
  output_tokens: 'completion_tokens',
  cost_usd: 'spend',
  timestamp: 'startTime',
  provider: 'custom_llm_provider',
  model_requested: 'model_group',
  tags: 'request_tags',
  latency_ms: 'request_duration_ms',
  ttft_ms: 'completionStartTime',
  feature: 'metadata.spend_logs_metadata.feature',
  cache_read_tokens: `${USAGE}.cache_read_input_tokens`,
  cache_write_tokens: `${USAGE}.cache_creation_input_tokens`,
  cache_write_1h_tokens: `${USAGE}.cache_creation_token_details.ephemeral_1h_input_tokens`,
  reasoning_tokens: `${USAGE}.completion_tokens_details.reasoning_tokens`,
};

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
const blank = (v: unknown) => v === undefined || v === null || v === '';

/** A JSON column: CSV holds it as text, a JSON export as the value itself; '' and absent mean none. */
function jsonColumn(v: unknown, column: string, problems: FieldProblem[]): unknown {
  if (blank(v) || typeof v !== 'string') return v ?? undefined;
  try {
    return JSON.parse(v);
  } catch {
    problems.push({ field: column, problem: 'not valid JSON' });
    return undefined;
  }
}

const whole = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/** Maps one LiteLLM row; the validator then checks it as a native record (with LITELLM_NAMES). */
export function fromLiteLLM(row: Obj): { fields: Obj; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const metadata = obj(jsonColumn(row.metadata, 'metadata', problems)) ?? {};
  const usage = obj(metadata.additional_usage_values) ?? {};
  const reads = usage.cache_read_input_tokens ?? obj(usage.prompt_tokens_details)?.cached_tokens;
  const writes = usage.cache_creation_input_tokens;
  const writes1h = obj(usage.cache_creation_token_details)?.ephemeral_1h_input_tokens;
  let prompt: unknown = row.prompt_tokens;
  // LiteLLM's prompt_tokens counts all input, cache reads and writes included; some versions left
  // Anthropic's cache writes out of it: when reads + writes cannot fit in it, the writes are added.
  const [p, r, w] = [whole(prompt), whole(reads) ?? 0, whole(writes) ?? 0];
  if (p !== undefined && r <= p && r + w > p) prompt = p + w;

  const tags = jsonColumn(row.request_tags, 'request_tags', problems);
  const status = String(row.status ?? metadata.status ?? '').toLowerCase();
  // Every column stays readable (for --customer-field); the native fields are set over them.
  const fields: Obj = {
    ...row,
    request_id: row.request_id,
    model: row.model,
    model_requested: blank(row.model_group) ? undefined : row.model_group,
    provider: blank(row.custom_llm_provider) ? undefined : row.custom_llm_provider,
    feature: obj(metadata.spend_logs_metadata)?.feature,
    input_tokens: prompt,
    output_tokens: row.completion_tokens,
    reasoning_tokens: obj(usage.completion_tokens_details)?.reasoning_tokens,
    cache_read_tokens: reads,
    cache_write_tokens: writes,
    cache_write_1h_tokens: writes1h,
    cache_hit: String(row.cache_hit ?? '').toLowerCase() === 'true',
    cost_usd: row.spend,
    timestamp: row.startTime,
    status: status === 'failure' ? 500 : 200,
    // LiteLLM adds a `User-Agent: …` tag to calls by itself: not a tag the app chose.
    tags: Array.isArray(tags)
      ? tags.filter((t) => !(typeof t === 'string' && /^user-agent:/i.test(t)))
      : tags,
  };
  const start = parseTimestamp(row.startTime);
  if (typeof start === 'number') {
    fields.latency_ms = row.request_duration_ms;
    if (blank(fields.latency_ms) && !blank(row.endTime)) {
      const end = parseTimestamp(row.endTime);
      if (typeof end === 'string') problems.push({ field: 'endTime', problem: end });
      else fields.latency_ms = Math.max(0, end - start);
    }
    if (!blank(row.completionStartTime)) {
      const first = parseTimestamp(row.completionStartTime);
      if (typeof first === 'number') fields.ttft_ms = Math.max(0, first - start);
    }
  }
  return { fields, problems };
}

/** A CSV header that is LiteLLM's: a `.csv` with these columns is read as a LiteLLM export. */
export function looksLikeLiteLLM(header: readonly string[]): boolean {
  return (
    ['spend', 'startTime', 'prompt_tokens'].every((c) => header.includes(c)) &&
    !header.includes('input_tokens')
  );
}
