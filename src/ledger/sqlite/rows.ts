import type { LedgerRow, VirtualKeyRecord } from '../types.js';

// Column ↔ field mapping for SQLite, where booleans are 0/1 integers.
export interface RequestRowDb {
  id: string;
  ts: number;
  customer: string;
  key_id: string;
  feature: string;
  provider: string;
  protocol: string;
  model_requested: string;
  model_served: string | null;
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cache_write_5m_tokens: number;
  cache_write_1h_tokens: number;
  cache_read_tokens: number;
  cost_pico: number | null;
  unpriced: number;
  estimated: number;
  cache_hit: number;
  status: number;
  error_code: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  streamed: number;
  model_routed: string | null;
  /** Comma-joined; NULL when none. */
  tags: string | null;
}

export function fromRequestRow(d: RequestRowDb): LedgerRow {
  return {
    id: d.id,
    ts: d.ts,
    customer: d.customer,
    keyId: d.key_id,
    feature: d.feature,
    provider: d.provider,
    protocol: d.protocol,
    modelRequested: d.model_requested,
    modelServed: d.model_served,
    inputTokens: d.input_tokens,
    outputTokens: d.output_tokens,
    reasoningTokens: d.reasoning_tokens,
    cacheWrite5mTokens: d.cache_write_5m_tokens,
    cacheWrite1hTokens: d.cache_write_1h_tokens,
    cacheReadTokens: d.cache_read_tokens,
    costPico: d.cost_pico,
    unpriced: d.unpriced === 1,
    estimated: d.estimated === 1,
    cacheHit: d.cache_hit === 1,
    status: d.status,
    errorCode: d.error_code,
    latencyMs: d.latency_ms,
    ttftMs: d.ttft_ms,
    streamed: d.streamed === 1,
    modelRouted: d.model_routed,
    ...(d.tags ? { tags: d.tags.split(',') } : {}),
  };
}

export interface KeyRowDb {
  id: string;
  hash: string;
  prefix: string;
  kind: 'customer' | 'app';
  customer: string | null;
  name: string | null;
  created_at: number;
  revoked_at: number | null;
}

export function fromKeyRow(d: KeyRowDb): VirtualKeyRecord {
  return {
    id: d.id,
    hash: d.hash,
    prefix: d.prefix,
    kind: d.kind,
    customer: d.customer,
    name: d.name,
    createdAt: d.created_at,
    revokedAt: d.revoked_at,
  };
}
