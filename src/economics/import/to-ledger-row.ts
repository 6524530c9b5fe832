import type { Config } from '../../config/schema.js';
import type { LedgerRow } from '../../ledger/types.js';
import type { Usage } from '../../pricing/usage.js';
import type { ImportRecord } from './types.js';

/** Imported rows name this key: they came through no virtual key. */
export const IMPORT_KEY_ID = 'import';

/**
 * The ledger row of one imported call. `costPico` is the stated cost when the file gave one, else the
 * catalog's; null means unpriced (never $0). The protocol is the provider's (openai/anthropic, or a
 * configured provider's), else `import`.
 */
export function toLedgerRow(
  r: ImportRecord,
  usage: Usage,
  provider: string,
  costPico: number | null,
  config: Readonly<Config>,
): LedgerRow {
  const row: LedgerRow = {
    id: r.requestId,
    ts: r.ts,
    customer: r.customer,
    keyId: IMPORT_KEY_ID,
    feature: r.feature,
    provider,
    protocol: config.providers[provider]?.protocol ?? 'import',
    modelRequested: r.modelRequested,
    // A response-cache hit reached no model.
    modelServed: r.cacheHit ? null : r.model,
    modelRouted: null,
    inputTokens: usage.input,
    outputTokens: usage.output,
    reasoningTokens: usage.reasoning,
    cacheWrite5mTokens: usage.cacheWrite5m,
    cacheWrite1hTokens: usage.cacheWrite1h,
    cacheReadTokens: usage.cacheRead,
    costPico,
    unpriced: costPico === null,
    estimated: false,
    cacheHit: r.cacheHit,
    status: r.status,
    errorCode: null,
    latencyMs: r.latencyMs,
    ttftMs: r.ttftMs,
    streamed: false,
  };
  if (r.tags.length > 0) row.tags = r.tags;
  return row;
}
