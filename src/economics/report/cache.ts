// Cache hit rate per feature: cached input tokens ÷ all input tokens, where cached means read from the
// provider's prompt cache or carried by a call served from Margin's response cache; and what it saved.
import type { PriceCatalog } from '../../pricing/catalog.js';
import { percentText, usd } from '../ratio.js';
import type { DimensionDay } from '../reader.js';
import type { CacheRow } from './types.js';

interface Acc {
  input: number;
  read: number;
  hitInput: number;
  hits: number;
  promptSaved: bigint;
  responseSaved: bigint;
}

export function cacheRows(dims: readonly DimensionDay[], catalog: PriceCatalog, atMs: number): CacheRow[] {
  // Savings are priced per (feature, model, provider), summed over days first.
  const groups = new Map<string, DimensionDay[]>();
  for (const d of dims) {
    const k = `${d.feature}\u0000${d.model}\u0000${d.provider}`;
    const g = groups.get(k);
    if (g) g.push(d);
    else groups.set(k, [d]);
  }
  const byFeature = new Map<string, Acc>();
  for (const list of groups.values()) {
    const first = list[0];
    if (!first) continue;
    let input = 0;
    let read = 0;
    let write = 0;
    let hitInput = 0;
    let hits = 0;
    let requests = 0;
    let cost = 0n;
    for (const d of list) {
      input += d.inputTokens + d.cacheReadTokens + d.cacheWriteTokens;
      read += d.cacheReadTokens;
      write += d.cacheWriteTokens;
      hitInput += d.cacheHitInputTokens;
      hits += d.cacheHitRequests;
      requests += d.requests;
      cost += d.costPico;
    }
    const rates = catalog.quote(first.provider, first.model, atMs)?.rates;
    let promptSaved = 0n;
    if (rates) {
      const fresh = BigInt(rates.input.base);
      promptSaved =
        BigInt(read) * (fresh - BigInt(rates.cacheRead.base)) -
        BigInt(write) * (BigInt(rates.cacheWrite5m.base) - fresh);
    }
    const paid = requests - hits;
    const responseSaved = hits > 0 && paid > 0 ? (cost * BigInt(hits)) / BigInt(paid) : 0n;
    const acc = byFeature.get(first.feature) ?? {
      input: 0,
      read: 0,
      hitInput: 0,
      hits: 0,
      promptSaved: 0n,
      responseSaved: 0n,
    };
    acc.input += input;
    acc.read += read;
    acc.hitInput += hitInput;
    acc.hits += hits;
    acc.promptSaved += promptSaved;
    acc.responseSaved += responseSaved;
    byFeature.set(first.feature, acc);
  }
  return [...byFeature]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([feature, a]) => ({
      feature,
      input_tokens: a.input,
      prompt_cache_read_tokens: a.read,
      response_cache_hit_input_tokens: a.hitInput,
      response_cache_hits: a.hits,
      hit_rate_pct: percentText(BigInt(a.read + a.hitInput), BigInt(a.input)),
      prompt_cache_rate_pct: percentText(BigInt(a.read), BigInt(a.input)),
      response_cache_rate_pct: percentText(BigInt(a.hitInput), BigInt(a.input)),
      prompt_cache_saved_usd: usd(a.promptSaved),
      response_cache_saved_usd: usd(a.responseSaved),
    }));
}

/** Cached ÷ all input over every feature (the weekly view's cache hit rate). */
export function overallHitRate(dims: readonly DimensionDay[]): string | null {
  let input = 0;
  let cached = 0;
  for (const d of dims) {
    input += d.inputTokens + d.cacheReadTokens + d.cacheWriteTokens;
    cached += d.cacheReadTokens + d.cacheHitInputTokens;
  }
  return percentText(BigInt(cached), BigInt(input));
}
