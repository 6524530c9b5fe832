import type { PriceCatalog } from '../../pricing/catalog.js';
import { rateAt } from '../../pricing/rates.js';
import { type Exact, exact } from './exact.js';
import { type Line, TOKEN_EXP } from './types.js';

export class UnpricedModelError extends Error {
  override name = 'UnpricedModelError';
}

/**
 * Lever 3: a line's cost at the catalog's integer rates (pico-USD per token) at the line's time. A long-
 * context tier is chosen on the line's average input per call, as aggregated counts cannot say more.
 */
export function priceLine(l: Line, catalog: PriceCatalog): Exact {
  if (l.fixedPico !== undefined) return exact(l.fixedPico);
  const q = catalog.quote(l.provider, l.model, l.at);
  if (!q)
    throw new UnpricedModelError(
      `model ${JSON.stringify(l.model)} (provider ${l.provider}) has no catalog price`,
    );
  const all = l.input + l.cacheRead + l.cacheWrite5m + l.cacheWrite1h;
  const perCall = l.calls > 0n ? Number(all / l.calls) : 0;
  const r = q.rates;
  const num =
    l.input * BigInt(rateAt(r.input, perCall)) +
    l.output * BigInt(rateAt(r.output, perCall)) +
    l.cacheRead * BigInt(rateAt(r.cacheRead, perCall)) +
    l.cacheWrite5m * BigInt(rateAt(r.cacheWrite5m, perCall)) +
    l.cacheWrite1h * BigInt(rateAt(r.cacheWrite1h, perCall));
  return exact(num, TOKEN_EXP);
}
