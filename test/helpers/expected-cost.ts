import { calcPrice } from '@pydantic/genai-prices';

/**
 * Expected cost computed independently of src/pricing: straight from the catalog's published $/MTok
 * numbers with BigInt arithmetic in pico-USD, token classes as each provider bills them.
 */
export function expectedPico(
  provider: string,
  model: string,
  t: { input: number; output: number; cacheRead?: number; cacheWrite5m?: number; cacheWrite1h?: number },
): bigint {
  const r = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId: provider });
  if (!r) throw new Error(`catalog has no price for ${provider}/${model}`);
  const p = r.model_price as Record<string, number | { base: number } | undefined>;
  const mtok = (k: string): bigint | undefined => {
    const v = p[k];
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : v.base;
    return BigInt(Math.round(n * 1e6));
  };
  const input = mtok('input_mtok') ?? 0n;
  const write5m = mtok('cache_write_mtok') ?? input;
  return (
    BigInt(t.input) * input +
    BigInt(t.output) * (mtok('output_mtok') ?? 0n) +
    BigInt(t.cacheRead ?? 0) * (mtok('cache_read_mtok') ?? input) +
    BigInt(t.cacheWrite5m ?? 0) * write5m +
    BigInt(t.cacheWrite1h ?? 0) * (mtok('cache_write_1h_mtok') ?? write5m)
  );
}

/** The same call priced by genai-prices' own float calculator, in USD, as a second opinion. */
export function catalogUsd(provider: string, model: string, usage: Record<string, number>): number {
  const r = calcPrice(usage, model, { providerId: provider });
  if (!r) throw new Error(`catalog has no price for ${provider}/${model}`);
  return r.total_price;
}
