import { z } from 'zod';
import { isValidId } from '../../identity/virtual-keys.js';
import { usdValueToPico } from './decimal-usd.js';
import { parseTimestamp } from './timestamp.js';
import type { FieldProblem, ImportRecord } from './types.js';

// The native record, validated field by field. Values come from JSON (numbers, booleans, arrays) or CSV
// (text), so each field accepts both spellings; an empty CSV cell or a JSON null counts as absent.
// Unknown fields are ignored.

/** A field's parser: its value, or a problem (a string) to report. */
type Parse<T> = (v: unknown) => T | Problem;
class Problem {
  constructor(readonly message: string) {}
}
const bad = (message: string) => new Problem(message);
const shown = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : JSON.stringify(v);
const absent = (v: unknown) => v === undefined || v === null || v === '';

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

const MAX_TOKENS = 1e12;
const count =
  (required: boolean): Parse<number> =>
  (v) => {
    if (absent(v)) return required ? bad('required (a whole number of tokens)') : 0;
    const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_TOKENS)
      return bad(`must be a whole number ≥ 0 (got ${shown(v)})`);
    return n;
  };

const millis: Parse<number | null> = (v) => {
  if (absent(v)) return null;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1e9)
    return bad(`must be a number of milliseconds ≥ 0 (got ${shown(v)})`);
  return n;
};

const TRUE = new Set(['true', '1', 'yes', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'f', 'n', 'none']);
const flag: Parse<boolean> = (v) => {
  if (absent(v)) return false;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (s !== undefined && TRUE.has(s)) return true;
  if (s !== undefined && FALSE.has(s)) return false;
  return bad(`must be true or false (got ${shown(v)})`);
};

// Ledger row ids: printable ASCII, no surrounding spaces, at most 128 characters.
const PRINTABLE = /^[!-~](?:[ -~]{0,126}[!-~])?$/;
const requestId: Parse<string> = (v) => {
  if (absent(v)) return bad('required');
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !PRINTABLE.test(s))
    return bad(`must be 1–128 printable ASCII characters without surrounding spaces (got ${shown(v)})`);
  return s;
};

const text =
  (max: number, what: string): Parse<string | undefined> =>
  (v) => {
    if (absent(v)) return undefined;
    if (typeof v !== 'string' || v.length > max || !PRINTABLE_ANY.test(v))
      return bad(`must be ${what} (got ${shown(v)})`);
    return v;
  };
// Model names may hold any printable character (`ft:gpt-4o:org:x`, `anthropic/claude…`), but no controls.
const PRINTABLE_ANY = /^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u;

const required =
  <T>(parse: Parse<T | undefined>): Parse<T> =>
  (v) => {
    const r = parse(v);
    return r === undefined ? bad('required') : r;
  };

const PROVIDER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const provider: Parse<string | undefined> = (v) => {
  if (absent(v)) return undefined;
  if (typeof v !== 'string' || !PROVIDER.test(v))
    return bad(`must be a provider id of letters, digits and . _ - (got ${shown(v)})`);
  return v;
};

const ID_RULE = '1–128 characters of letters, digits and . _ : @ -';
const feature: Parse<string> = (v) => {
  if (absent(v)) return 'default';
  if (typeof v !== 'string' || !isValidId(v)) return bad(`must be ${ID_RULE} (got ${shown(v)})`);
  return v;
};

const status: Parse<number> = (v) => {
  if (absent(v)) return 200;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 599)
    return bad(`must be an HTTP status from 100 to 599 (got ${shown(v)})`);
  return n;
};

const MAX_TAGS = 32;
const tags: Parse<string[]> = (v) => {
  if (absent(v)) return [];
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list)) return bad(`must be a list of tags or comma-separated text (got ${shown(v)})`);
  const out = new Set<string>();
  for (const t of list) {
    const s = typeof t === 'string' ? t.trim() : t;
    if (s === '') continue;
    if (typeof s !== 'string' || !isValidId(s)) return bad(`each tag must be ${ID_RULE} (got ${shown(t)})`);
    out.add(s);
  }
  if (out.size > MAX_TAGS) return bad(`at most ${MAX_TAGS} tags (got ${out.size})`);
  return [...out];
};

/** Over 2^53 pico-USD (~$9,007) an integer is no longer exact: one call never costs that. */
const MAX_COST_PICO = BigInt(Number.MAX_SAFE_INTEGER);
const cost: Parse<bigint | undefined> = (v) => {
  if (absent(v)) return undefined;
  const pico = usdValueToPico(v);
  if (pico === undefined) return bad(`must be a decimal amount of USD (got ${shown(v)})`);
  if (pico < 0n) return bad(`must not be negative (got ${shown(v)})`);
  if (pico > MAX_COST_PICO) return bad(`more than $9,007 for one call (got ${shown(v)})`);
  return pico;
};

const timestamp: Parse<number> = (v) => {
  const r = parseTimestamp(v);
  return typeof r === 'string' ? bad(r) : r;
};

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
