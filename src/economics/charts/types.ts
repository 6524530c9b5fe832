// Inputs of the charts: plain, serialisable data the report, simulator and recommender hand over.
// Validated with zod at the boundary so a bad value names its field instead of drawing a wrong chart.
import { z } from 'zod';

/** Exact decimal USD text ("12.5", "0.000123") or integer pico-USD. Never a float. */
export const moneySchema = z.union([
  z.string().regex(/^\d+(\.\d{1,12})?$/, 'expected a non-negative decimal USD amount such as "12.50"'),
  z.bigint().nonnegative('expected non-negative pico-USD'),
]);
export type Money = z.infer<typeof moneySchema>;

/** A percentage (68.25 means 68.25%): a finite number, or exact decimal text as reports print it. */
export const percentSchema = z.union([
  z.number().finite(),
  z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a percentage such as "68.25"'),
]);
export type Percent = z.infer<typeof percentSchema>;

const label = z.string().min(1, 'expected a non-empty label').max(80, 'expected at most 80 characters');

/** A named dollar amount drawn as a vertical line: a percentile ("P95") or a tier's cap ("Pro cap"). */
export const usdMarkerSchema = z.object({ label, usd: moneySchema });
export type UsdMarker = z.infer<typeof usdMarkerSchema>;

export const costDistributionSchema = z.object({
  title: z.string().optional(),
  /** Monthly cost of each active customer. */
  costs: z.array(moneySchema).min(1, 'expected at least one customer cost'),
  /** Percentile markers; when absent, P50/P90/P95/P99 are computed by nearest rank from `costs`. */
  percentiles: z.array(usdMarkerSchema).optional(),
  /** Each tier's cap (monthly USD). */
  caps: z.array(usdMarkerSchema).default([]),
});
export type CostDistributionData = z.input<typeof costDistributionSchema>;

export const marginFloorLeversSchema = z
  .object({
    title: z.string().optional(),
    tiers: z.array(label).min(1, 'expected at least one tier'),
    /** Floors with no lever moved; one per tier, null where the tier has no price (no floor). */
    baseline: z.object({ name: label.default('Baseline'), floors: z.array(percentSchema.nullable()) }),
    /** One series per lever, each with one floor per tier (same order as `tiers`). */
    levers: z.array(z.object({ name: label, floors: z.array(percentSchema.nullable()) })),
    /** Target margin (percent), drawn as a dashed line. */
    targetPct: percentSchema.optional(),
  })
  .superRefine((d, ctx) => {
    const series = [
      ['baseline', d.baseline] as const,
      ...d.levers.map((l, i) => [`levers.${i}`, l] as const),
    ];
    for (const [path, s] of series) {
      if (s.floors.length !== d.tiers.length) {
        ctx.addIssue({
          code: 'custom',
          path: [...path.split('.'), 'floors'],
          message: `expected ${d.tiers.length} floors (one per tier), got ${s.floors.length}`,
        });
      }
    }
  });
export type MarginFloorLeversData = z.input<typeof marginFloorLeversSchema>;

export const weeklyTrendSchema = z.object({
  title: z.string().optional(),
  weeks: z
    .array(
      z.object({
        /** e.g. "2025-W14" or the Monday's date. */
        label,
        costUsd: moneySchema,
        /** Null when the week had no revenue. */
        grossMarginPct: percentSchema.nullable(),
        costPctOfRevenue: percentSchema.nullable().optional(),
      }),
    )
    .min(1, 'expected at least one week'),
  targets: z
    .object({ grossMarginPct: percentSchema.optional(), costPctOfRevenue: percentSchema.optional() })
    .default({}),
});
export type WeeklyTrendData = z.input<typeof weeklyTrendSchema>;

/** Validate input at the boundary; the error names what was being drawn and every bad field's path. */
export function parseInput<S extends z.ZodType>(chart: string, schema: S, data: unknown): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const lines = r.error.issues.map(
    (i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`,
  );
  throw new Error(`${chart}: invalid input\n${lines.join('\n')}`);
}
