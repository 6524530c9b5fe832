import { picoToUsd } from '../util/money.js';
import type { LedgerRow, UsageGroup, VirtualKeyRecord } from './types.js';

// The public JSON shapes of ledger data (admin API and `--json` CLI output): snake_case, money as decimal
// strings, times as ISO-8601.

export function presentRow(r: LedgerRow) {
  return {
    id: r.id,
    time: new Date(r.ts).toISOString(),
    customer: r.customer,
    key_id: r.keyId,
    feature: r.feature,
    provider: r.provider,
    protocol: r.protocol,
    model_requested: r.modelRequested,
    model_served: r.modelServed,
    model_routed: r.modelRouted,
    input_tokens: r.inputTokens,
    output_tokens: r.outputTokens,
    reasoning_tokens: r.reasoningTokens,
    cache_write_5m_tokens: r.cacheWrite5mTokens,
    cache_write_1h_tokens: r.cacheWrite1hTokens,
    cache_read_tokens: r.cacheReadTokens,
    cost_usd: r.costPico === null ? null : picoToUsd(r.costPico),
    unpriced: r.unpriced,
    estimated: r.estimated,
    cache_hit: r.cacheHit,
    status: r.status,
    error_code: r.errorCode,
    latency_ms: r.latencyMs,
    ttft_ms: r.ttftMs,
    streamed: r.streamed,
    tags: r.tags ?? [],
  };
}

export function presentUsage(g: UsageGroup) {
  return {
    key: g.key,
    requests: g.requests,
    input_tokens: g.inputTokens,
    output_tokens: g.outputTokens,
    cache_write_tokens: g.cacheWriteTokens,
    cache_read_tokens: g.cacheReadTokens,
    cost_usd: picoToUsd(g.costPico),
    unpriced_requests: g.unpricedRequests,
    estimated_requests: g.estimatedRequests,
    error_requests: g.errorRequests,
  };
}

export function usageTotal(groups: readonly UsageGroup[]) {
  let cost = 0n;
  let requests = 0;
  let unpriced = 0;
  for (const g of groups) {
    cost += g.costPico;
    requests += g.requests;
    unpriced += g.unpricedRequests;
  }
  return { requests, cost_usd: picoToUsd(cost), unpriced_requests: unpriced };
}

export function presentKey(k: VirtualKeyRecord) {
  return {
    id: k.id,
    prefix: k.prefix,
    kind: k.kind,
    customer: k.customer,
    name: k.name,
    created_at: new Date(k.createdAt).toISOString(),
    revoked_at: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}
