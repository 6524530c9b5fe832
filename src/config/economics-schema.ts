import { z } from 'zod';

// The `economics` block: overhead per customer, weekly targets and model classes for `margin report`.

const decimalUsd = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((v) => /^\d+(\.\d{1,12})?$/.test(v), { message: 'must be a non-negative decimal number of USD' });

const percent = z.number().min(0).max(100);

export const economicsSchema = z
  .object({
    /** Added to each customer's monthly AI cost as "loaded cost" (gross margin, margin floors, under water). */
    overheadPerCustomerUsd: decimalUsd.default('0'),
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
