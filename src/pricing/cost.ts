import type { PriceQuote } from './catalog.js';
import { rateAt } from './rates.js';
import { totalInput, type Usage } from './usage.js';

/** Exact cost in integer pico-USD: every class of tokens times its integer rate at this input size. */
export function costPico(usage: Usage, quote: PriceQuote): number {
  const r = quote.rates;
  const n = totalInput(usage);
  return (
    usage.input * rateAt(r.input, n) +
    usage.cacheWrite5m * rateAt(r.cacheWrite5m, n) +
    usage.cacheWrite1h * rateAt(r.cacheWrite1h, n) +
    usage.cacheRead * rateAt(r.cacheRead, n) +
    usage.output * rateAt(r.output, n)
  );
}
