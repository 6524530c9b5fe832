import type { Plan } from '../limits/plan.js';
import type { CustomerDetailDay } from './reader.js';

/**
 * A day's usage (one customer × feature × model × provider) in the plan's budget base unit, as the
 * gateway measures calls (limits/plan.ts `measure`): pico-USD of cost, all tokens (fresh input, output,
 * cache reads and writes), runs (calls that used tokens), or pico-credits — per-run credits for features
 * that have them, else cost × creditsPerUsd rounded up. The gateway rounds credits up per call; a rollup
 * only has the day's sum, so here it is rounded up once per row (at most one pico-credit per row apart).
 * Response-cache hits never reached a model and are not counted, as the gateway does not bill them.
 */
export function usageUnits(plan: Plan, u: CustomerDetailDay): bigint {
  switch (plan.unit) {
    case 'usd':
      return u.costPico;
    case 'tokens':
      return (
        BigInt(u.inputTokens) +
        BigInt(u.outputTokens) +
        BigInt(u.cacheReadTokens) +
        BigInt(u.cacheWriteTokens)
      );
    case 'runs':
      return BigInt(u.usedRequests);
    case 'credits': {
      const perRun = plan.creditsPerRun.get(u.feature);
      if (perRun !== undefined) return BigInt(u.usedRequests) * perRun;
      return (u.costPico * (plan.creditsPerUsd ?? 0n) + 999_999_999_999n) / 1_000_000_000_000n;
    }
    default:
      return 0n;
  }
}
