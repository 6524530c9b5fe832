import type { Reservation } from '../limits/customer-state.js';
import { type CallAmount, measure, type Plan } from '../limits/plan.js';
import { costPico } from '../pricing/cost.js';
import { countTokens } from '../pricing/estimate-tokens.js';
import { emptyUsage, type Usage } from '../pricing/usage.js';
import { GatewayError } from '../wire/errors.js';
import type { ClientLink } from './client.js';
import type { CallContext, GatewayDeps } from './context.js';
import { route } from './route.js';

/**
 * Stage: admission. For a customer with a plan or a wallet: switch to the plan's cheaper lane when past
 * its soft threshold (or throttled cap), then reserve the call's worst case — input counted with a real
 * tokenizer, plus max_tokens at the output price — against rate limits, budget, feature quota and wallet.
 * Customers without limits pass straight through. A wait for budget ends when `client` leaves.
 */
export async function admit(
  deps: GatewayDeps,
  ctx: CallContext,
  client?: ClientLink,
): Promise<Reservation | undefined> {
  const policy = await deps.limits.policy(ctx.identity.customer);
  if (!policy) return undefined;
  const lane =
    deps.limits.laneFor(policy, ctx.modelRequested) ?? deps.limits.laneFor(policy, ctx.target.model);
  if (lane) {
    try {
      ctx.target = route(deps.registry, ctx.protocol, lane);
      ctx.modelRouted = ctx.target.model;
    } catch (e) {
      // A plan naming a lane this gateway cannot route is a config mistake: serve the model asked for.
      deps.log('plan lane not routable; keeping the requested model', { lane, error: String(e) });
    }
  }
  const { provider, model } = ctx.target;
  const bound = ctx.protocol.inputBound(ctx.body, ctx.rawBody, countTokens);
  ctx.inputTokensBound = bound.tokens;
  const clientCapped = ctx.maxOutputTokens !== undefined;
  const maxOut = ctx.maxOutputTokens ?? deps.limitsConfig.defaultMaxOutputTokens;
  const plan = policy.state.plan;
  if (
    ctx.maxOutputTokens === undefined &&
    (policy.wallet || (plan?.cap !== undefined && plan.atCap === 'block'))
  )
    // A hard limit needs a bound on the answer: send the reserved output cap with the call.
    capOutput(ctx, maxOut);
  const quote = deps.catalog.quote(provider.id, model, ctx.startedAt);
  const inputClass =
    bound.cacheWrite === '1h' ? 'cacheWrite1h' : bound.cacheWrite === '5m' ? 'cacheWrite5m' : 'input';
  // Filled in place, not spread with a computed key: that would build a fresh hidden class per call.
  const usage = (output: number): Usage => {
    const u = emptyUsage();
    u[inputClass] = bound.tokens;
    u.output = output;
    return u;
  };
  const amount = (output: number): CallAmount => {
    const c = quote ? costPico(usage(output), quote) : Number.NaN;
    return {
      feature: ctx.identity.feature,
      costPico: Number.isSafeInteger(c) ? BigInt(c) : null,
      tokens: bound.tokens + output,
      billable: true,
    };
  };
  // Lower the output cap to what fits when the client set none (the default was Margin's choice), or
  // when the plan prefers a shorter answer to a refusal.
  const lower = !clientCapped || plan?.spec.hardCap.lowerMaxTokens === true;
  const reserve = (maxTokens: number, lowerOnRefusal: boolean) =>
    deps.limits.reserve(policy, {
      id: ctx.id,
      keyId: ctx.identity.keyId,
      worst: amount(maxTokens),
      tpmTokens: bound.tokens + maxTokens,
      expiresAt: ctx.startedAt + provider.timeoutMs + deps.limitsConfig.reservationGraceMs,
      model,
      fittingMaxTokens: (room: bigint, plan: Plan) =>
        largestFitting(room, maxTokens - 1, (m) => measure(plan, amount(m))),
      lowerOnRefusal,
      // A call queued for budget stops waiting when its client leaves (the signal is made only if it waits).
      get signal() {
        return client?.signal;
      },
    });
  try {
    ctx.admission = await reserve(maxOut, lower);
  } catch (e) {
    const fit = e instanceof GatewayError ? e.details?.suggested_max_tokens : undefined;
    if (typeof fit !== 'number' || !lower) throw e;
    capOutput(ctx, fit);
    ctx.admission = await reserve(fit, false);
  }
  return ctx.admission;
}

function capOutput(ctx: CallContext, maxTokens: number): void {
  ctx.body = ctx.protocol.withMaxOutputTokens(ctx.body, maxTokens);
  ctx.rawBody = Buffer.from(JSON.stringify(ctx.body));
  ctx.maxOutputTokens = maxTokens;
}

/** The largest max_tokens in [1, hi] whose worst case fits `room` (binary search; cost grows with it). */
function largestFitting(room: bigint, hi: number, cost: (m: number) => bigint): number | undefined {
  if (hi < 1 || cost(1) > room) return undefined;
  let lo = 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cost(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
