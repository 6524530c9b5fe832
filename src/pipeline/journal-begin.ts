import type { BeginRecord } from '../journal/codec.js';
import type { CallContext, GatewayDeps } from './context.js';

/**
 * Stage: journal the call before it goes upstream, so a crash from here on still records it (as an
 * estimate charging its input). Throws a 503 when no durable record can be made: nothing is sent then.
 * The record is one literal (the call header's fields, then the begin's own), so every call's has one shape.
 */
export function journalBegin(deps: GatewayDeps, ctx: CallContext): void {
  const begin: BeginRecord = {
    id: ctx.id,
    ts: ctx.startedAt,
    customer: ctx.identity.customer,
    keyId: ctx.identity.keyId,
    feature: ctx.identity.feature,
    provider: ctx.target.provider.id,
    protocol: ctx.protocol.id,
    modelRequested: ctx.modelRequested,
    model: ctx.target.model,
    inputTokens: ctx.inputTokensBound ?? null,
    bodyBytes: ctx.rawBody.length,
    wallet: ctx.admission?.wallet?.id ?? null,
  };
  if (ctx.identity.tags) begin.tags = ctx.identity.tags;
  deps.journal.begin(begin);
}
