import { calcPrice, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import type { PriceOverride } from '../config/schema.js';
import { compileRates, discountRates, type Rates } from './rates.js';

export interface PriceQuote {
  /** The catalog's id for the model that was priced (or `override` for config-only prices). */
  catalogModel: string;
  rates: Rates;
}

interface Entry {
  info: ModelInfo | undefined;
  compiled: Map<ModelPrice, Rates | undefined>;
  override: PriceOverride | undefined;
}

/**
 * Wraps @pydantic/genai-prices: model matching and price periods come from the catalog; each period's
 * prices are compiled to integer rates the first time they are used, then served from memory.
 */
export class PriceCatalog {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly overrides: readonly PriceOverride[] = [],
    /** Our provider id → genai-prices provider id. */
    private readonly catalogProviderOf: (provider: string) => string = (p) => p,
  ) {}

  /** Integer rates for `model` served by `provider` at time `atMs`, or undefined when unpriced. */
  quote(provider: string, model: string, atMs: number): PriceQuote | undefined {
    const e = this.entry(provider, model);
    const ov = e.override;
    if (ov?.prices) {
      const rates = compileRates(ov.prices as ModelPrice);
      return rates ? { catalogModel: e.info?.id ?? model, rates } : undefined;
    }
    if (!e.info) return undefined;
    const price = activePrice(e.info, atMs);
    let rates = e.compiled.get(price);
    if (!e.compiled.has(price)) {
      rates = compileRates(price);
      if (rates && ov?.discountPercent !== undefined)
        rates = discountRates(rates, Math.round(ov.discountPercent * 100));
      e.compiled.set(price, rates);
    }
    return rates ? { catalogModel: e.info.id, rates } : undefined;
  }

  /** The model's context window when the catalog knows it: no answer can be longer. */
  contextWindow(provider: string, model: string): number | undefined {
    return this.entry(provider, model).info?.context_window;
  }

  private entry(provider: string, model: string): Entry {
    const key = `${provider}\u0000${model}`;
    let e = this.entries.get(key);
    if (!e) {
      e = this.lookup(provider, model);
      this.entries.set(key, e);
    }
    return e;
  }

  private lookup(provider: string, model: string): Entry {
    let info: ModelInfo | undefined;
    try {
      info = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, {
        providerId: this.catalogProviderOf(provider),
      })?.model;
    } catch {
      info = undefined;
    }
    // Last matching override wins, so a specific rule can follow a provider-wide one.
    const override = this.overrides.findLast((o) => o.provider === provider && globMatch(o.model, model));
    return { info, compiled: new Map(), override };
  }
}

/** Same selection rule as the catalog: last period whose constraint holds at that time, else the first. */
function activePrice(info: ModelInfo, atMs: number): ModelPrice {
  if (!Array.isArray(info.prices)) return info.prices;
  const at = new Date(atMs);
  for (let i = info.prices.length - 1; i >= 0; i--) {
    const p = info.prices[i];
    if (!p) continue;
    const c = p.constraint;
    if (!c) return p.prices;
    if (c.type === 'start_date' && at >= new Date(c.start_date)) return p.prices;
    if (c.type === 'time_of_date' && inTimeWindow(at, c.start_time, c.end_time)) return p.prices;
  }
  return info.prices[0]!.prices;
}

function secondsOfDay(hms: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(hms);
  if (!m) return 0;
  const offset = m[4] === 'Z' ? 0 : (m[5] === '+' ? 1 : -1) * (Number(m[6]) * 3600 + Number(m[7]) * 60);
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - offset + 86400) % 86400;
}

function inTimeWindow(at: Date, start: string, end: string): boolean {
  const t = at.getUTCHours() * 3600 + at.getUTCMinutes() * 60 + at.getUTCSeconds();
  const s = secondsOfDay(start);
  const e = secondsOfDay(end);
  return e < s ? t >= s || t < e : t >= s && t < e;
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`);
  return re.test(value);
}
const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
