import { z } from 'zod';

// The `economics` block: overhead per customer, batch discounts (simulator), weekly targets and model
// classes for `margin report`.

const decimalUsd = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((v) => /^\d+(\.\d{1,12})?$/.test(v), { message: 'must be a non-negative decimal number of USD' });

const percent = z.number().min(0).max(100);

/** Batch prices as percent off list, by provider id; the catalog has none. Both big providers halve list. */
export const DEFAULT_BATCH_DISCOUNT_PERCENT: Readonly<Record<string, number>> = { openai: 50, anthropic: 50 };

// Whole basis points: the simulator multiplies by them exactly, so a third decimal would be dropped silently.
const batchPercent = percent.refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-9, {
  message: 'must have at most 2 decimals',
});

export const economicsSchema = z
  .object({
    /** Added to each customer's monthly AI cost as "loaded cost" (gross margin, margin floors, under water). */
    overheadPerCustomerUsd: decimalUsd.default('0'),
    /**
     * Percent off list for work sent as batch (the simulator's batch lever), by provider; merged over the
     * defaults (openai 50, anthropic 50), so naming one provider keeps the others. 0: no batch discount.
     */
    batchDiscountPercent: z
      .record(z.string().min(1).max(128), batchPercent)
      .default({})
      .transform((v): Record<string, number> => ({ ...DEFAULT_BATCH_DISCOUNT_PERCENT, ...v })),
    /** How often the gateway checks recently active customers for customer.under_water (ms). */
    underWaterCheckMs: z.number().int().min(100).max(86_400_000).default(60_000),
    /** The weekly view's targets, in percent. */
    targets: z
      .object({
        costPctOfRevenueMax: percent.default(15),
        grossMarginPctMin: percent.default(68),
        cacheHitPctMin: percent.default(30),
        smallMidRequestPctMin: percent.default(60),
        top20CostPctOfMrrMax: percent.default(40),
      })
      .strict()
      .default({
        costPctOfRevenueMax: 15,
        grossMarginPctMin: 68,
        cacheHitPctMin: 30,
        smallMidRequestPctMin: 60,
        top20CostPctOfMrrMax: 40,
      }),
    /** Model classes: named models, else by the catalog's output price per million tokens. */
    modelClasses: z
      .object({
        small: z.array(z.string().min(1)).default([]),
        mid: z.array(z.string().min(1)).default([]),
        large: z.array(z.string().min(1)).default([]),
        smallMaxOutputUsdPerMtok: z.number().nonnegative().default(5),
        midMaxOutputUsdPerMtok: z.number().nonnegative().default(20),
      })
      .strict()
      .default({ small: [], mid: [], large: [], smallMaxOutputUsdPerMtok: 5, midMaxOutputUsdPerMtok: 20 }),
  })
  .strict();

export type EconomicsConfig = z.infer<typeof economicsSchema>;
export const economicsDefaults = (): EconomicsConfig => economicsSchema.parse({});
