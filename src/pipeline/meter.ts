import type { PriceCatalog } from '../pricing/catalog.js';
import { costPico } from '../pricing/cost.js';
import { estimateTokens } from '../pricing/estimate-tokens.js';
import { emptyUsage, type Usage } from '../pricing/usage.js';
import type { CallContext } from './context.js';

export interface Metered {
  usage: Usage;
  modelServed: string | null;
  costPico: number | null;
  unpriced: boolean;
  estimated: boolean;
}

/** Stage: usage → exact integer cost of the model that answered, at the time the request arrived. */
export function price(catalog: PriceCatalog, ctx: CallContext, usage: Usage, served: string | undefined) {
  const provider = ctx.target.provider.id;
  const quote =
    (served ? catalog.quote(provider, served, ctx.startedAt) : undefined) ??
    catalog.quote(provider, ctx.target.model, ctx.startedAt);
  const cost = quote ? costPico(usage, quote) : Number.NaN;
  // Beyond 2^53 pico-USD (~$9,007 for one call) an integer is no longer exact: show it unpriced, not wrong.
  return Number.isSafeInteger(cost)
    ? { costPico: cost, unpriced: false }
    : { costPico: null, unpriced: true };
}

export function meterReported(
  catalog: PriceCatalog,
  ctx: CallContext,
  usage: Usage,
  served?: string,
): Metered {
  const { costPico, unpriced } = price(catalog, ctx, usage, served);
  return { usage, modelServed: served ?? null, costPico, unpriced, estimated: false };
}

/**
 * When upstream never reported final usage (client abort, dropped stream): keep what it did report (e.g.
 * Anthropic's input and cache counts from message_start) and estimate the rest from the request text and
 * the tokens actually delivered. The row is flagged `estimated`.
 */
export async function meterEstimated(
  catalog: PriceCatalog,
  ctx: CallContext,
  partial: Usage | undefined,
  delivered: readonly string[],
  served?: string,
): Promise<Metered> {
  const usage = partial ? { ...partial } : emptyUsage();
  if (!partial) usage.input = await estimateTokens(ctx.protocol.requestText(ctx.body));
  usage.output = Math.max(usage.output, await estimateTokens(delivered));
  const { costPico, unpriced } = price(catalog, ctx, usage, served);
  return { usage, modelServed: served ?? null, costPico, unpriced, estimated: true };
}

/** A call that never reached a model costs nothing, and says so (priced, not unpriced). */
export const unbilled = (): Metered => ({
  usage: emptyUsage(),
  modelServed: null,
  costPico: 0,
  unpriced: false,
  estimated: false,
});
