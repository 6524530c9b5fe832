import { DAY_MS } from '../../limits/cycle.js';
import { usdToPico } from '../../util/money.js';
import { mulberry32, quantileFromPercentiles } from './quantile.js';
import type { CallSpec, Scenario, TierPopulation } from './scenario-schema.js';
import { type Line, TOKEN_SCALE, type UsageMonth } from './types.js';

// A synthetic population from the scenario: per tier, n customers whose tasks per month follow the given
// distribution, each task made of the given calls (or costing a fixed amount). Deterministic: the PRNG is
// seeded from the scenario's seed and the tier's name, so tiers do not shift when another is added.

/** The provider a bare model name belongs to, like the gateway's built-in families; else the given one. */
export function providerFor(model: string, given: string | undefined, field: string): string {
  if (given) return given;
  if (/^claude-/.test(model)) return 'anthropic';
  if (/^(gpt-|chatgpt-|o\d|ft:gpt|codex-|computer-use-)/.test(model)) return 'openai';
  throw new Error(
    `${field}: provider is required for model ${JSON.stringify(model)} (not a claude-* or OpenAI name)`,
  );
}

/** Tasks per month of each customer of a tier, in customer order. */
export function tasksOf(tier: TierPopulation, seed: number, tierName: string): number[] {
  const t = tier.tasksPerMonth;
  if (typeof t === 'number') return Array.from({ length: tier.customers ?? 0 }, () => t);
  if (Array.isArray(t)) return [...t];
  const n = tier.customers ?? 0;
  const q = quantileFromPercentiles(t);
  const rand = mulberry32((seed ^ hash(tierName)) >>> 0);
  return Array.from({ length: n }, (_, i) => {
    const u = tier.sampling === 'even' ? (i + 0.5) / n : clampOpen(rand());
    return Math.max(0, Math.round(q(u)));
  });
}

export function populationMonths(scenario: Scenario, now: number): UsageMonth[] {
  const at = scenario.pricesAt ? Date.parse(scenario.pricesAt) : now;
  const out: UsageMonth[] = [];
  for (const [tierName, tier] of Object.entries(scenario.population ?? {})) {
    tasksOf(tier, scenario.seed, tierName).forEach((tasks, i) => {
      out.push({
        customer: `${tierName}-${String(i + 1).padStart(4, '0')}`,
        month: 0,
        daysInCycle: scenario.cycleDays,
        startDay: 1,
        elapsedMs: scenario.cycleDays * DAY_MS,
        currentPlan: tierName,
        currentMrrPico: tier.currentPriceUsd === undefined ? null : usdToPico(tier.currentPriceUsd),
        lines: linesFor(tier, BigInt(tasks), at, `population.${tierName}`),
      });
    });
  }
  return out;
}

function linesFor(tier: TierPopulation, tasks: bigint, at: number, field: string): Line[] {
  if (tier.costPerTaskUsd !== undefined) {
    const zero = { input: 0n, output: 0n, cacheRead: 0n, cacheWrite5m: 0n, cacheWrite1h: 0n };
    const fixedPico = usdToPico(tier.costPerTaskUsd) * tasks;
    return [
      { feature: 'default', provider: '', model: '', at, calls: tasks * TOKEN_SCALE, ...zero, fixedPico },
    ];
  }
  return (tier.task ?? []).map((c, i) => callLine(c, tasks, at, `${field}.task.${i}`));
}

function callLine(c: CallSpec, tasks: bigint, at: number, field: string): Line {
  const calls = tasks * BigInt(c.calls);
  const k = calls * TOKEN_SCALE;
  return {
    feature: c.feature,
    provider: providerFor(c.model, c.provider, field),
    model: c.model,
    at,
    calls: k,
    input: BigInt(c.input - c.cacheRead - c.cacheWrite) * k,
    output: BigInt(c.output) * k,
    cacheRead: BigInt(c.cacheRead) * k,
    cacheWrite5m: BigInt(c.cacheWrite) * k,
    cacheWrite1h: 0n,
  };
}

const clampOpen = (u: number) => Math.min(1 - 1e-12, Math.max(1e-12, u));

/** FNV-1a over the tier name: a stable per-tier offset to the seed. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
