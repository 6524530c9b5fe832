import { z } from 'zod';

// plans.yaml: the plan tiers. Validated with zod; errors name the plan and the field (see plans-file.ts).

/** A decimal amount, written as a YAML number or string; kept as text so it converts to integers exactly. */
const decimal = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((v) => /^\d+(\.\d{1,12})?$/.test(v), { message: 'must be a non-negative decimal number' });

const modelLanes = z.record(z.string().min(1), z.string().min(1), {
  message: 'must map model names to cheaper models, e.g. claude-sonnet-4-5: claude-haiku-4-5',
});

const id = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, {
  message: 'must be 1–128 characters of letters, digits and . _ : @ -',
});

// Buckets count in 1/60000ths of a token as exact integers: 1e11 per minute keeps them below 2^53.
const perMinute = z.number().int().positive().max(100_000_000_000);

export const planSpecSchema = z
  .object({
    /** Monthly subscription price in USD. */
    priceUsd: decimal,
    budget: z
      .object({
        unit: z.enum(['usd', 'credits', 'tokens', 'runs']),
        /** The monthly allowance in the unit: USD of cost, credits, tokens or runs (calls). */
        amount: decimal,
        /** credits: how many credits one USD of AI cost uses. */
        creditsPerUsd: decimal.optional(),
        /** credits: a fixed number of credits per run of these features (instead of creditsPerUsd). */
        creditsPerRun: z.record(z.string().min(1), decimal).optional(),
      })
      .strict()
      .optional(),
    soft: z
      .object({
        thresholdPercent: z.number().gt(0).max(100).default(80),
        /** After the threshold, requests for these models are sent to the cheaper model instead. */
        lanes: modelLanes.optional(),
      })
      .strict()
      .default({ thresholdPercent: 80 }),
    hardCap: z
      .object({
        action: z.enum(['block', 'throttle']).default('block'),
        /** throttle: the cheaper lane used past the cap. */
        lanes: modelLanes.optional(),
        /** throttle: at most this many of the customer's calls at once past the cap. */
        concurrency: z.number().int().positive().default(1),
        /** block: when only a smaller max_tokens fits, lower it and serve the call instead of refusing. */
        lowerMaxTokens: z.boolean().default(false),
      })
      .strict()
      .default({ action: 'block', concurrency: 1, lowerMaxTokens: false }),
    /** Hybrid plans: usage past the budget is billed at this USD price per unit instead of being capped. */
    overage: z.object({ pricePerUnitUsd: decimal }).strict().optional(),
    /** Sub-quotas: a feature may use at most this share of the budget (or this amount in the unit). */
    features: z
      .record(
        z.string().min(1),
        z
          .object({ maxPercent: z.number().gt(0).max(100).optional(), amount: decimal.optional() })
          .strict()
          .refine((f) => (f.maxPercent === undefined) !== (f.amount === undefined), {
            message: 'needs exactly one of maxPercent or amount',
          }),
      )
      .default({}),
    rateLimits: z
      .object({
        /** Per customer. */
        rpm: perMinute.optional(),
        tpm: perMinute.optional(),
        /** Per virtual key. */
        keyRpm: perMinute.optional(),
        keyTpm: perMinute.optional(),
      })
      .strict()
      .default({}),
    /** Overrides `limits.upgradeUrl` for this plan's customers. */
    upgradeUrl: z.string().url().optional(),
    /** wallet.low fires when a prepaid wallet's balance falls below this many USD. */
    walletLowUsd: decimal.optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const unit = p.budget?.unit;
    if (unit === 'credits' && !p.budget?.creditsPerUsd && !p.budget?.creditsPerRun)
      ctx.addIssue({
        code: 'custom',
        path: ['budget', 'creditsPerUsd'],
        message: 'credits budgets need creditsPerUsd or creditsPerRun',
      });
    if (unit !== 'credits' && (p.budget?.creditsPerUsd || p.budget?.creditsPerRun))
      ctx.addIssue({ code: 'custom', path: ['budget', 'unit'], message: 'credit rates need unit: credits' });
    if (!p.budget && Object.keys(p.features).length > 0)
      ctx.addIssue({ code: 'custom', path: ['features'], message: 'feature sub-quotas need a budget' });
  });

export const plansFileSchema = z
  .object({ plans: z.record(id, planSpecSchema).refine((m) => Object.keys(m).length > 0, 'needs a plan') })
  .strict();

export type PlanSpec = z.infer<typeof planSpecSchema>;
export type PlanSpecInput = z.input<typeof planSpecSchema>;
export type PlansFile = z.infer<typeof plansFileSchema>;
