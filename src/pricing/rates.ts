import type { ModelPrice } from '@pydantic/genai-prices';
import { mtokToPicoPerToken } from '../util/money.js';

/** One price in integer pico-USD per token, possibly tiered on the request's total input tokens. */
export interface Rate {
  base: number;
  tiers: readonly { start: number; price: number }[];
}

/** Integer rates for every token class; classes the catalog leaves out fall back as the catalog does. */
export interface Rates {
  input: Rate;
  output: Rate;
  cacheWrite5m: Rate;
  cacheWrite1h: Rate;
  cacheRead: Rate;
}

type PriceValue = ModelPrice[string];

function toRate(v: PriceValue): Rate | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return { base: mtokToPicoPerToken(v), tiers: [] };
  return {
    base: mtokToPicoPerToken(v.base),
    tiers: [...v.tiers]
      .sort((a, b) => a.start - b.start)
      .map((t) => ({ start: t.start, price: mtokToPicoPerToken(t.price) })),
  };
}

/** Converts a catalog price table to integer rates once, so the hot path never touches floats. */
export function compileRates(p: ModelPrice): Rates | undefined {
  const input = toRate(p.input_mtok);
  const output = toRate(p.output_mtok);
  if (!input || !output) return undefined;
  // An unpriced sub-class is billed at its parent's price (genai-prices' unit hierarchy does the same).
  const cacheWrite5m = toRate(p.cache_write_mtok) ?? input;
  return {
    input,
    output,
    cacheWrite5m,
    cacheWrite1h: toRate(p.cache_write_1h_mtok) ?? cacheWrite5m,
    cacheRead: toRate(p.cache_read_mtok) ?? input,
  };
}

/** Scales every rate by (10000 − discountBp) / 10000, rounding each per-token rate to whole pico-USD. */
export function discountRates(r: Rates, discountBp: number): Rates {
  const keep = 10_000 - discountBp;
  const scale = (x: Rate): Rate => ({
    base: Math.round((x.base * keep) / 10_000),
    tiers: x.tiers.map((t) => ({ start: t.start, price: Math.round((t.price * keep) / 10_000) })),
  });
  return {
    input: scale(r.input),
    output: scale(r.output),
    cacheWrite5m: scale(r.cacheWrite5m),
    cacheWrite1h: scale(r.cacheWrite1h),
    cacheRead: scale(r.cacheRead),
  };
}

/** The price that applies at this total input size: the highest tier whose start is exceeded. */
export function rateAt(r: Rate, totalInputTokens: number): number {
  let price = r.base;
  for (const t of r.tiers) if (totalInputTokens > t.start) price = t.price;
  return price;
}
