import { readFileSync } from 'node:fs';
import { z } from 'zod';

// The trace summaries shipped under data/traces/ (written by scripts/summarize-traces.js from the real
// traces): validated once, so a hand-edited file fails with the file and the field, not a NaN later.

const quantilesSchema = z
  .object({ p: z.array(z.number().min(0).max(100)).min(2), v: z.array(z.number().min(0)).min(2) })
  .refine((q) => q.p.length === q.v.length, { message: 'p and v must have the same length' })
  .refine((q) => q.p[0] === 0 && q.p.at(-1) === 100, { message: 'p must run from 0 to 100' })
  .refine((q) => q.p.every((x, i) => i === 0 || x > q.p[i - 1]!), { message: 'p must increase' })
  .refine((q) => q.v.every((x, i) => i === 0 || x >= q.v[i - 1]!), { message: 'v must not decrease' });

const promptCacheSchema = z.object({ tokenShare: z.number().min(0).max(1), requestShare: quantilesSchema });

const summarySchema = z.object({
  name: z.string(),
  source: z.string().min(1),
  licence: z.string().min(1),
  inputTokens: quantilesSchema,
  outputTokens: quantilesSchema,
  promptCache: promptCacheSchema.optional(),
  sessions: z
    .object({
      requestsPerSession: z.array(z.number().int().min(0)).min(1),
      gapWithinSessionMs: quantilesSchema,
    })
    .optional(),
  arrivals: z
    .object({
      hourOfDayUtc: z.array(z.number().min(0)).length(24),
      weekday: z.array(z.number().min(0)).length(7),
    })
    .optional(),
});

export type Quantiles = z.infer<typeof quantilesSchema>;
export type TraceSummary = z.infer<typeof summarySchema>;

export interface TraceSummaries {
  azureCode: TraceSummary;
  azureConv: TraceSummary;
  mooncake: TraceSummary & { promptCache: NonNullable<TraceSummary['promptCache']> };
  ragpulse: TraceSummary & Required<Pick<TraceSummary, 'promptCache' | 'sessions' | 'arrivals'>>;
}

/** data/traces/ in the package: the same relative path from src/ (tsx) and from dist/ (built). */
export const SUMMARY_DIR = new URL('../../../data/traces/', import.meta.url);

function load(name: string, dir: URL): TraceSummary {
  const url = new URL(`${name}.json`, dir);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(url, 'utf8'));
  } catch (e) {
    throw new Error(`trace summary ${url.pathname}: cannot read it: ${(e as Error).message}`);
  }
  const r = summarySchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`trace summary ${url.pathname}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

export function loadTraceSummaries(dir: URL = SUMMARY_DIR): TraceSummaries {
  const mooncake = load('mooncake-conversation', dir);
  const ragpulse = load('ragpulse', dir);
  if (!mooncake.promptCache) throw new Error('trace summary mooncake-conversation: promptCache: missing');
  if (!ragpulse.promptCache || !ragpulse.sessions || !ragpulse.arrivals)
    throw new Error('trace summary ragpulse: promptCache, sessions and arrivals are required');
  return {
    azureCode: load('azure-code', dir),
    azureConv: load('azure-conv', dir),
    mooncake: { ...mooncake, promptCache: mooncake.promptCache },
    ragpulse: {
      ...ragpulse,
      promptCache: ragpulse.promptCache,
      sessions: ragpulse.sessions,
      arrivals: ragpulse.arrivals,
    },
  };
}

/** The value at quantile level u ∈ [0, 1], linear between the stored levels (an inverse CDF). */
export function quantileAt(q: Quantiles, u: number): number {
  const p = u * 100;
  let i = 1;
  while (i < q.p.length - 1 && q.p[i]! < p) i++;
  const p0 = q.p[i - 1]!;
  const p1 = q.p[i]!;
  const v0 = q.v[i - 1]!;
  const v1 = q.v[i]!;
  return v0 + ((v1 - v0) * (p - p0)) / (p1 - p0);
}

/**
 * An O(1) sampler for a quantile summary: the inverse CDF tabulated at 4,096 levels, linear in between.
 * `scale` stretches the distribution (e.g. a feature whose prompts run longer than the trace's).
 */
export function quantileSampler(q: Quantiles, scale = 1): (u: number) => number {
  const n = 4096;
  const table = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) table[i] = quantileAt(q, i / n) * scale;
  return (u) => {
    const x = u * n;
    const i = Math.min(Math.floor(x), n - 1);
    return table[i]! + (table[i + 1]! - table[i]!) * (x - i);
  };
}
