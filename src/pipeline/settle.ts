import type { LedgerRow, WriteOp } from '../ledger/types.js';
import type { Reservation } from '../limits/customer-state.js';
import type { CallContext, GatewayDeps, Identity } from './context.js';
import type { Metered } from './meter.js';
import type { CallDraft } from './prepare-call.js';

const MAX_ERROR_CODE = 128;

export interface Outcome {
  status: number;
  errorCode: string | null;
  streamed: boolean;
  ttftMs: number | null;
}

/**
 * Stage: settle. The ledger row, the wallet debit and any threshold events commit in one transaction;
 * budget counters move at once. Resolves once durable: written to the request journal (the ledger commits
 * it in the background).
 */
export function settle(deps: GatewayDeps, ctx: CallContext, m: Metered, o: Outcome): Promise<void> {
  return commit(deps, ctx.admission, toRow(ctx, m, o));
}

function commit(deps: GatewayDeps, admission: Reservation | undefined, row: LedgerRow): Promise<void> {
  const op: WriteOp = { request: row };
  if (admission) Object.assign(op, deps.limits.settle(admission, row));
  return deps.journal.record(op);
}

// Built as one literal, field by field (not spread from callHeader): a spread followed by more fields
// makes V8 build a fresh hidden class per call, which costs here and in every reader of the row.
export function toRow(ctx: CallContext, m: Metered, o: Outcome): LedgerRow {
  const identity = ctx.identity;
  const usage = m.usage;
  const row: LedgerRow = {
    id: ctx.id,
    ts: ctx.startedAt,
    customer: identity.customer,
    keyId: identity.keyId,
    feature: identity.feature,
    provider: ctx.target.provider.id,
    protocol: ctx.protocol.id,
    modelRequested: ctx.modelRequested,
    modelServed: m.modelServed,
    modelRouted: ctx.modelRouted ?? null,
    inputTokens: usage.input,
    outputTokens: usage.output,
    reasoningTokens: usage.reasoning,
    cacheWrite5mTokens: usage.cacheWrite5m,
    cacheWrite1hTokens: usage.cacheWrite1h,
    cacheReadTokens: usage.cacheRead,
    costPico: m.costPico,
    unpriced: m.unpriced,
    estimated: m.estimated,
    cacheHit: false,
    status: o.status,
    // An upstream's error code comes from its body: stored bounded, like every identifier.
    errorCode: o.errorCode === null ? null : o.errorCode.slice(0, MAX_ERROR_CODE),
    latencyMs: Math.round((performance.now() - ctx.t0) * 1000) / 1000,
    ttftMs: o.ttftMs,
    streamed: o.streamed,
  };
  // Only calls that carry tags get the field (absent, not undefined, when none: rows compare equal).
  if (identity.tags) row.tags = identity.tags;
  return row;
}

/** A call the gateway refused after knowing who made it (bad JSON, unknown model, upstream down): cost 0. */
export function recordRejected(
  deps: GatewayDeps,
  draft: CallDraft & { identity: Identity },
  status: number,
  errorCode: string,
): Promise<void> {
  return commit(deps, draft.admission, {
    id: draft.id,
    ts: draft.startedAt,
    customer: draft.identity.customer,
    keyId: draft.identity.keyId,
    feature: draft.identity.feature,
    provider: draft.provider ?? '',
    protocol: draft.protocol.id,
    modelRequested: draft.modelRequested ?? '',
    modelServed: null,
    modelRouted: null,
    inputTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costPico: 0,
    unpriced: false,
    estimated: false,
    cacheHit: false,
    status,
    errorCode,
    latencyMs: Math.round((performance.now() - draft.t0) * 1000) / 1000,
    ttftMs: null,
    streamed: false,
    ...(draft.identity.tags ? { tags: draft.identity.tags } : {}),
  });
}
