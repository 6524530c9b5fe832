// Small / mid / large models: named in config, or by the catalog's output price per million tokens
// (defaults: small ≤ $5, mid ≤ $20, large above). A model the catalog cannot price is "unpriced".
import type { PriceCatalog } from '../../pricing/catalog.js';
import type { ModelClass } from './breakdowns.js';

export interface ModelClassConfig {
  small: readonly string[];
  mid: readonly string[];
  large: readonly string[];
  smallMaxOutputUsdPerMtok: number;
  midMaxOutputUsdPerMtok: number;
}

// $/MTok × 1e6 = pico-USD per token.
const PICO_PER_TOKEN_PER_USD_MTOK = 1_000_000;

export function modelClassifier(
  cfg: ModelClassConfig,
  catalog: PriceCatalog,
  atMs: number,
): (provider: string, model: string) => ModelClass {
  const named = new Map<string, ModelClass>();
  for (const c of ['small', 'mid', 'large'] as const) for (const m of cfg[c]) named.set(m, c);
  const memo = new Map<string, ModelClass>();
  return (provider, model) => {
    const fixed = named.get(model);
    if (fixed) return fixed;
    const key = `${provider}\u0000${model}`;
    let c = memo.get(key);
    if (c === undefined) {
      const out = catalog.quote(provider, model, atMs)?.rates.output.base;
      c =
        out === undefined
          ? 'unpriced'
          : out <= cfg.smallMaxOutputUsdPerMtok * PICO_PER_TOKEN_PER_USD_MTOK
            ? 'small'
            : out <= cfg.midMaxOutputUsdPerMtok * PICO_PER_TOKEN_PER_USD_MTOK
              ? 'mid'
              : 'large';
      memo.set(key, c);
    }
    return c;
  };
}
