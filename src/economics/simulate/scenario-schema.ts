import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { decimalToScaled } from './exact.js';

// scenario.yaml: a synthetic population (when there is no history yet), how customers map to candidate
// tiers, and the levers. Shares and ratios are fractions 0..1 with at most 4 decimals (basis points);
// percents are 0..100 with at most 2 decimals. Both become exact integers (basis points).

const decimalText = z
  .union([z.number(), z.string()])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()));

/** A fraction 0..1 → basis points (0..10000). */
const fraction = decimalText.transform((v, ctx) => {
  if (!/^\d+(\.\d{1,4})?$/.test(v) || Number(v) > 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a fraction from 0 to 1 with at most 4 decimals' });
    return z.NEVER;
  }
  return Number(decimalToScaled(v, 4));
});

/** A percent 0..100 → basis points (0..10000). */
const percent = decimalText.transform((v, ctx) => {
  if (!/^\d+(\.\d{1,2})?$/.test(v) || Number(v) > 100) {
    ctx.addIssue({ code: 'custom', message: 'must be a percent from 0 to 100 with at most 2 decimals' });
    return z.NEVER;
  }
  return Number(decimalToScaled(v, 2));
});

const usd = decimalText.refine((v) => /^\d+(\.\d{1,12})?$/.test(v), {
  message: 'must be a non-negative decimal number of USD',
});

const count = z.number().int().nonnegative().max(1e12);
const name = z.string().min(1).max(256);

/** One call of a task; `input` is ALL input tokens, cacheRead and cacheWrite are parts of it. */
const callSpec = z
  .object({
    feature: name.default('default'),
    model: name,
    provider: name.optional(),
    /** Calls of this kind per task. */
    calls: count.default(1),
    input: count,
    output: count,
    cacheRead: count.default(0),
    cacheWrite: count.default(0),
  })
  .strict()
  .refine((c) => c.cacheRead + c.cacheWrite <= c.input, {
    message: 'cacheRead + cacheWrite are parts of input and cannot exceed it',
    path: ['input'],
  });

/** Percentile points such as {p50: 150, p90: 900, p99: 4000}. */
const percentiles = z
  .record(
    z.string().regex(/^p\d{1,2}(\.\d{1,3})?$/, { message: 'keys must be p1..p99.999, e.g. p50' }),
    z.number().positive(),
  )
  .refine((r) => Object.keys(r).length > 0, { message: 'needs at least one percentile, e.g. p50' })
  .superRefine((r, ctx) => {
    const pts = Object.entries(r)
      .map(([k, v]) => [Number(k.slice(1)), v] as const)
      .sort((a, b) => a[0] - b[0]);
    for (const [p] of pts)
      if (!(p > 0 && p < 100)) ctx.addIssue({ code: 'custom', message: `p${p}: must be between 0 and 100` });
    for (let i = 1; i < pts.length; i++)
      if (pts[i]![1] < pts[i - 1]![1])
        ctx.addIssue({ code: 'custom', message: `p${pts[i]![0]}: must not be below p${pts[i - 1]![0]}` });
  });

const tierPopulation = z
  .object({
    /** How many customers; optional when tasksPerMonth lists one value per customer. */
    customers: count.optional(),
    /** What these customers pay today (revenue change is measured against it); default: the candidate plan of this name. */
    currentPriceUsd: usd.optional(),
    tasksPerMonth: z.union([count, z.array(count).min(1), percentiles]),
    /** random: seeded draws; even: the quantiles (i − ½)/n, the same for any seed. */
    sampling: z.enum(['random', 'even']).default('random'),
    task: z.array(callSpec).min(1).optional(),
    costPerTaskUsd: usd.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.task === undefined) === (t.costPerTaskUsd === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['task'],
        message: 'needs exactly one of task or costPerTaskUsd',
      });
    if (!Array.isArray(t.tasksPerMonth) && t.customers === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['customers'],
        message: 'required unless tasksPerMonth is a list',
      });
    if (Array.isArray(t.tasksPerMonth) && t.customers !== undefined && t.customers !== t.tasksPerMonth.length)
      ctx.addIssue({
        code: 'custom',
        path: ['customers'],
        message: `must equal the length of the tasksPerMonth list (${t.tasksPerMonth.length})`,
      });
  });

const routeRule = z
  .object({
    /** Only this feature's calls (default: all). */
    feature: name.optional(),
    /** Only calls to this model (default: all). */
    from: name.optional(),
    to: name,
    /** The target's provider; inferred for claude-* and OpenAI model names. */
    provider: name.optional(),
    share: fraction,
  })
  .strict();

export const leversSchema = z
  .object({
    routing: z.array(routeRule).default([]),
    /** An open-weight model priced from the catalog (e.g. groq llama-3.3-70b-versatile): a routing target. */
    openWeight: z.array(routeRule).default([]),
    cache: z
      .object({
        hitRatio: fraction,
        /** Share of all input written to the cache at the cache-write price. */
        writeShare: fraction.default(0),
        writeTtl: z.enum(['5m', '1h']).default('5m'),
        features: z.array(name).optional(),
      })
      .strict()
      .refine((c) => c.hitRatio + c.writeShare <= 10_000, {
        message: 'hitRatio + writeShare cannot exceed 1',
        path: ['writeShare'],
      })
      .optional(),
    /** Negotiated discounts, percent off retail; the last matching rule wins. */
    discount: z
      .array(z.object({ provider: name.optional(), model: name.optional(), percent }).strict())
      .default([]),
    batch: z
      .object({ share: fraction, features: z.array(name).optional() })
      .strict()
      .optional(),
    priceDecline: z
      .object({ percentPerYear: percent, months: z.number().int().min(0).max(600) })
      .strict()
      .optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1),
    /** Days in a synthetic billing cycle. */
    cycleDays: z.number().int().min(1).max(31).default(30),
    /** When synthetic usage is priced (ISO-8601); default: now. */
    pricesAt: z
      .string()
      .refine((v) => Number.isFinite(Date.parse(v)), { message: 'must be an ISO-8601 date' })
      .optional(),
    mapping: z.enum(['keep', 'cheapest-covering']).default('keep'),
    /** Added to each active customer's monthly AI cost; default: config economics.overheadPerCustomerUsd. */
    overheadPerCustomerUsd: usd.optional(),
    population: z.record(name, tierPopulation).optional(),
    levers: leversSchema.default(leversSchema.parse({})),
  })
  .strict();

export type Scenario = z.infer<typeof scenarioSchema>;
export type Levers = z.infer<typeof leversSchema>;
export type RouteRule = z.infer<typeof routeRule>;
export type TierPopulation = z.infer<typeof tierPopulation>;
export type CallSpec = z.infer<typeof callSpec>;

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

/** Validates a parsed scenario; errors name the source, the field path and (from YAML) the line. */
export function parseScenario(
  doc: unknown,
  source = 'scenario',
  lineOf?: (path: PropertyKey[]) => number | undefined,
): Scenario {
  const parsed = scenarioSchema.safeParse(doc ?? {});
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => {
    const path = i.path.length ? i.path.map(String).join('.') : '(top level)';
    const line = lineOf?.(i.path);
    return `  ${path}${line ? ` (line ${line})` : ''}: ${i.message}`;
  });
  throw new ScenarioError(`${source}: invalid scenario\n${lines.join('\n')}`);
}

export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`${file}: cannot read scenario file (${(e as Error).message})`);
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  if (doc.errors.length > 0) throw new ScenarioError(`${file}: not valid YAML: ${doc.errors[0]!.message}`);
  const lineOf = (path: PropertyKey[]) => {
    // The deepest node that exists on the path (a missing field is reported at its parent).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as
        | { range?: [number] }
        | undefined;
      if (node?.range) return counter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return parseScenario(doc.toJS(), file, lineOf);
}
