import type { LedgerRow } from '../../ledger/types.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import { costPico } from '../../pricing/cost.js';
import type { Usage } from '../../pricing/usage.js';
import type { FeatureProfile, ModelChoice } from './features.js';
import type { Rng } from './prng.js';

// One synthetic call → one ledger row, shaped as the gateway records it: disjoint token classes, the
// provider's prompt-cache rules, a cost priced from the catalog at the call's time, and the occasional
// refusal, upstream error, cancelled stream or response-cache hit.

/** Providers cache prompts of at least this many tokens (OpenAI and Anthropic both start at 1,024). */
const MIN_CACHEABLE = 1024;

export interface CallSpec {
  id: string;
  ts: number;
  customer: string;
  keyId: string;
  feature: FeatureProfile;
  model: ModelChoice;
  /** Position in its session (0: the first call). */
  turn: number;
  tags: readonly string[];
}

const ZERO: Usage = { input: 0, output: 0, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

export function makeCall(rng: Rng, catalog: PriceCatalog, c: CallSpec): LedgerRow {
  const f = c.feature;
  const m = c.model;
  const totalInput = Math.max(1, Math.round(f.input(rng.next())));
  const output = Math.max(1, Math.round(f.output(rng.next())));
  const base: CallBase = {
    id: c.id,
    ts: c.ts,
    customer: c.customer,
    keyId: c.keyId,
    feature: f.name,
    provider: m.provider,
    protocol: m.provider === 'anthropic' ? 'anthropic' : 'openai',
    modelRequested: m.requested,
    modelRouted: null,
    reasoningTokens: 0,
    tags: c.tags,
  };
  const fate = rng.next();
  // Refused by the gateway itself (rate limit, budget): no upstream call, no tokens, $0.
  if (fate < 0.009)
    return row(base, ZERO, null, 0, {
      status: fate < 0.006 ? 429 : 402,
      errorCode: fate < 0.006 ? 'rate_limited' : 'budget_exhausted',
      latencyMs: 1 + rng.next() * 3,
    });
  // Upstream failed before answering: the provider's status, no tokens billed.
  if (fate < 0.012) {
    const anthropic = m.provider === 'anthropic';
    return row(base, ZERO, m.served, 0, {
      status: anthropic ? 529 : 500,
      errorCode: anthropic ? 'overloaded_error' : 'server_error',
      latencyMs: 200 + rng.next() * 2000,
    });
  }
  // Served from Margin's response cache: the tokens it carried, no provider call, $0.
  if (rng.next() < f.responseCacheShare) {
    const usage = { ...ZERO, input: totalInput, output };
    return row(base, usage, m.served, 0, { cacheHit: true, latencyMs: 2 + rng.next() * 10 });
  }
  const usage = split(rng, f, m, c.turn, totalInput, output);
  const quote = catalog.quote(m.provider, m.served, c.ts);
  const cost = quote ? costPico(usage, quote) : null;
  const streamed = rng.next() < f.streamedShare;
  const ttft = 150 + totalInput / 20 + rng.next() * 400;
  const latencyMs = ttft + output * (8 + rng.next() * 25);
  // A client that went away mid-stream: charged what it used, flagged estimated.
  if (streamed && fate < 0.014) {
    usage.output = Math.max(1, Math.floor(usage.output * rng.next()));
    const partial = quote ? costPico(usage, quote) : null;
    return row(base, usage, m.served, partial, {
      status: 499,
      errorCode: 'client_closed',
      estimated: true,
      streamed,
      ttftMs: ttft,
      latencyMs: ttft + usage.output * 20,
    });
  }
  return row(base, usage, m.served, cost, { streamed, ttftMs: streamed ? ttft : null, latencyMs });
}

/** Splits a call's input into disjoint classes as each provider bills prompt caching. */
function split(
  rng: Rng,
  f: FeatureProfile,
  m: ModelChoice,
  turn: number,
  total: number,
  output: number,
): Usage {
  const u: Usage = { ...ZERO, input: total, output };
  if (!f.cache || total < MIN_CACHEABLE || (f.cache.followUpsOnly && turn === 0)) return u;
  let cached = Math.floor(total * f.cache.share(rng.next()));
  if (m.provider === 'anthropic') {
    // Explicit cache_control: what is not read is partly written for the next turn (a fifth of it 1-hour).
    const write = Math.floor((total - cached) * 0.6);
    const write1h = f.name === 'agent' && rng.next() < 0.2 ? write : 0;
    u.cacheWrite1h = write1h;
    u.cacheWrite5m = write - write1h;
  } else {
    // Automatic caching hits in 128-token steps.
    cached -= cached % 128;
  }
  u.cacheRead = cached;
  u.input = total - cached - u.cacheWrite5m - u.cacheWrite1h;
  return u;
}

type CallBase = Pick<
  LedgerRow,
  | 'id'
  | 'ts'
  | 'customer'
  | 'keyId'
  | 'feature'
  | 'provider'
  | 'protocol'
  | 'modelRequested'
  | 'modelRouted'
  | 'reasoningTokens'
  | 'tags'
>;

/** Spelled out field by field (no spread): every row has one shape, which keeps V8 on its fast path. */
function row(
  b: CallBase,
  u: Usage,
  served: string | null,
  cost: number | null,
  o: Partial<Outcome>,
): LedgerRow {
  return {
    id: b.id,
    ts: b.ts,
    customer: b.customer,
    keyId: b.keyId,
    feature: b.feature,
    provider: b.provider,
    protocol: b.protocol,
    modelRequested: b.modelRequested,
    modelServed: served,
    modelRouted: b.modelRouted,
    inputTokens: u.input,
    outputTokens: u.output,
    reasoningTokens: b.reasoningTokens,
    cacheWrite5mTokens: u.cacheWrite5m,
    cacheWrite1hTokens: u.cacheWrite1h,
    cacheReadTokens: u.cacheRead,
    costPico: cost,
    unpriced: cost === null,
    estimated: o.estimated ?? false,
    cacheHit: o.cacheHit ?? false,
    status: o.status ?? 200,
    errorCode: o.errorCode ?? null,
    latencyMs: Math.round((o.latencyMs ?? 0) * 10) / 10,
    ttftMs: o.ttftMs === undefined || o.ttftMs === null ? null : Math.round(o.ttftMs * 10) / 10,
    streamed: o.streamed ?? false,
    tags: b.tags,
  };
}

interface Outcome {
  estimated: boolean;
  cacheHit: boolean;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  ttftMs: number | null;
  streamed: boolean;
}
