import { type Exact, mul } from './exact.js';
import { providerFor } from './population.js';
import type { Levers, RouteRule } from './scenario-schema.js';
import type { Line } from './types.js';

// The levers, each a pure function, applied in this fixed order (simulate.ts):
//   1. routing mix and open-weight alternative — move a share of matching calls to another model,
//      keeping their token counts (on token counts);
//   2. cache hit ratio — h of ALL input at the cache-read price, an optional share w written at the
//      cache-write price, the rest fresh (on token counts);
//   3. re-price at catalog rates (reprice.ts);
//   4. negotiated discount — percent off the re-priced cost;
//   5. batch — a share of async features' cost at the provider's batch price;
//   6. price decline — × (1 − X)^(N/12), after discounts.
// Shares are basis points; token counts carry a factor 10^8 so two splits stay whole (types.ts).

const BP = 10_000n;

function scaleLine(l: Line, bp: bigint): Line {
  const s = (v: bigint) => (v * bp) / BP;
  return {
    ...l,
    calls: s(l.calls),
    input: s(l.input),
    output: s(l.output),
    cacheRead: s(l.cacheRead),
    cacheWrite5m: s(l.cacheWrite5m),
    cacheWrite1h: s(l.cacheWrite1h),
  };
}

const matches = (r: { feature?: string; from?: string }, l: Line) =>
  (r.feature === undefined || r.feature === l.feature) && (r.from === undefined || r.from === l.model);

/**
 * Lever 1: each rule moves its share of every matching line (matched on the line as observed, never on
 * what another rule moved) to its target model. Shares of rules matching one line may not pass 1.
 */
export function applyRouting(
  lines: readonly Line[],
  rules: readonly (RouteRule & { field: string })[],
): Line[] {
  if (rules.length === 0) return [...lines];
  const out: Line[] = [];
  for (const l of lines) {
    if (l.fixedPico !== undefined) {
      out.push(l);
      continue;
    }
    const hits = rules.filter((r) => matches(r, l) && !(r.to === l.model));
    const total = hits.reduce((s, r) => s + r.share, 0);
    if (total > 10_000)
      throw new Error(
        `${hits.map((r) => r.field).join(', ')}: shares for feature ${JSON.stringify(l.feature)} on ${JSON.stringify(l.model)} add up to more than 1`,
      );
    if (total < 10_000) out.push(scaleLine(l, BigInt(10_000 - total)));
    for (const r of hits)
      out.push({
        ...scaleLine(l, BigInt(r.share)),
        model: r.to,
        provider: providerFor(r.to, r.provider, `${r.field}.provider`),
      });
  }
  return out;
}

/** Routing and open-weight rules together, each named by its field for errors. */
export function routeRules(levers: Pick<Levers, 'routing' | 'openWeight'>) {
  return [
    ...levers.routing.map((r, i) => ({ ...r, field: `levers.routing.${i}` })),
    ...levers.openWeight.map((r, i) => ({ ...r, field: `levers.openWeight.${i}` })),
  ];
}

/** Lever 2: all input A = fresh + read + writes becomes h·A read, w·A written, (1 − h − w)·A fresh. */
export function applyCache(lines: readonly Line[], cache: Levers['cache']): Line[] {
  if (!cache) return [...lines];
  const h = BigInt(cache.hitRatio);
  const w = BigInt(cache.writeShare);
  return lines.map((l) => {
    if (l.fixedPico !== undefined) return l;
    if (cache.features && !cache.features.includes(l.feature)) return l;
    const all = l.input + l.cacheRead + l.cacheWrite5m + l.cacheWrite1h;
    const read = (all * h) / BP;
    const write = (all * w) / BP;
    return {
      ...l,
      input: all - read - write,
      cacheRead: read,
      cacheWrite5m: cache.writeTtl === '5m' ? write : 0n,
      cacheWrite1h: cache.writeTtl === '1h' ? write : 0n,
    };
  });
}

/** Lever 4: the last discount rule matching the line's provider and model (glob `*`) applies. */
export function applyDiscount(cost: Exact, l: Line, rules: Levers['discount']): Exact {
  const rule = rules.findLast(
    (r) =>
      (r.provider === undefined || r.provider === l.provider) &&
      (r.model === undefined || glob(r.model, l.model)),
  );
  return rule ? mul(cost, BigInt(10_000 - rule.percent), 4) : cost;
}

/** Lever 5: a share b of the line at (1 − d) of its price: factor 1 − b·d (b and d in basis points). */
export function applyBatch(
  cost: Exact,
  l: Line,
  batch: Levers['batch'],
  discountPercent: Readonly<Record<string, number>>,
): Exact {
  if (!batch || (batch.features && !batch.features.includes(l.feature))) return cost;
  const d = discountPercent[l.provider];
  if (d === undefined) return cost; // this provider offers no batch
  const dBp = BigInt(Math.round(d * 100));
  return mul(cost, 100_000_000n - BigInt(batch.share) * dBp, 8);
}

/**
 * Lever 6: the factor (1 − X)^(N/12) in parts per 10^12. Whole years are exact integer powers, rounded once
 * to 10^-12; other N use Math.pow rounded to 10^-12 (the one real power; 12 digits are well inside a double).
 */
export function declineFactorPpt(decline: Levers['priceDecline']): bigint {
  if (!decline) return 10n ** 12n;
  const keepBp = BigInt(10_000 - decline.percentPerYear);
  if (decline.months % 12 === 0) {
    const k = BigInt(decline.months / 12);
    const den = 10_000n ** k;
    return (2n * keepBp ** k * 10n ** 12n + den) / (2n * den);
  }
  return BigInt(Math.round((Number(keepBp) / 10_000) ** (decline.months / 12) * 1e12));
}

export const applyDecline = (cost: Exact, ppt: bigint): Exact =>
  ppt === 10n ** 12n ? cost : mul(cost, ppt, 12);

function glob(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}
