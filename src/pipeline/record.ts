import type { CallContext, GatewayDeps } from './context.js';
import type { Metered } from './meter.js';
import { type Outcome, settle } from './settle.js';

/**
 * Every path of a call ends here, and settles it once: the first outcome is the call's row; a second one
 * would be a second row (and a second wallet debit) for one call, so it is dropped and logged as the bug it is.
 */
export function record(deps: GatewayDeps, ctx: CallContext, m: Metered, o: Outcome): Promise<void> {
  if (ctx.settled) {
    deps.log('call already settled; second outcome dropped', { id: ctx.id, status: o.status });
    return Promise.resolve();
  }
  ctx.settled = true;
  return settle(deps, ctx, m, o);
}
