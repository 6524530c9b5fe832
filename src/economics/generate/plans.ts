import { type PlanSpec, planSpecSchema } from '../../limits/plan-schema.js';

/**
 * The plan tiers generated customers subscribe to: a capped starter, a pro tier with a cheaper lane past
 * its soft threshold, and a hybrid scale tier billed for overage. Parsed by the plans schema, so they are
 * exactly what `margin plans apply` would store.
 */
export function generatedPlans(): Record<string, PlanSpec> {
  return {
    starter: planSpecSchema.parse({
      priceUsd: '19',
      budget: { unit: 'usd', amount: '5' },
      soft: {
        thresholdPercent: 80,
        lanes: { 'claude-sonnet-4-5': 'claude-haiku-4-5', 'gpt-4o': 'gpt-4o-mini' },
      },
      hardCap: { action: 'block' },
      features: { 'long-doc': { maxPercent: 20 } },
    }),
    pro: planSpecSchema.parse({
      priceUsd: '49',
      budget: { unit: 'usd', amount: '15' },
      soft: { thresholdPercent: 80 },
      hardCap: { action: 'throttle', lanes: { 'claude-sonnet-4-5': 'claude-haiku-4-5' }, concurrency: 2 },
    }),
    scale: planSpecSchema.parse({
      priceUsd: '199',
      budget: { unit: 'usd', amount: '80' },
      overage: { pricePerUnitUsd: '1.25' },
    }),
  };
}
