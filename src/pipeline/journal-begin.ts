import type { CallContext, GatewayDeps } from './context.js';
import { callHeader } from './settle.js';

/**
 * Stage: journal the call before it goes upstream, so a crash from here on still records it (as an
 * estimate charging its input). Throws a 503 when no durable record can be made: nothing is sent then.
 */
export function journalBegin(deps: GatewayDeps, ctx: CallContext): void {
  deps.journal.begin({
    ...callHeader(ctx),
    model: ctx.target.model,
    inputTokens: ctx.inputTokensBound ?? null,
    bodyBytes: ctx.rawBody.length,
    wallet: ctx.admission?.wallet?.id ?? null,
  });
}
