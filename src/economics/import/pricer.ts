import { calcPrice } from '@pydantic/genai-prices';
import type { Config } from '../../config/schema.js';
import { PriceCatalog } from '../../pricing/catalog.js';
import { costPico } from '../../pricing/cost.js';
import type { Usage } from '../../pricing/usage.js';

/** Built-in model families, as the gateway resolves a bare model name (providers/registry.ts). */
const FAMILIES: readonly [RegExp, string][] = [
  [/^claude-/, 'anthropic'],
  [/^(gpt-|chatgpt-|o\d|ft:gpt|codex-|computer-use-)/, 'openai'],
];

/** A stated cost within this of the catalog's is the same price (float noise, rounding to 6 decimals). */
const SAME_PRICE_ABS_PICO = 500_000n; // $0.0000005
const SAME_PRICE_REL_DIVISOR = 1000n; // 0.1%

export interface Priced {
  /** What the catalog (with config overrides) says the call cost; null when it has no price. */
  catalogPico: number | null;
}

/**
 * Prices imported calls the way the gateway prices live ones: the catalog at the call's time, with the
 * config's price overrides (negotiated discounts, explicit prices) and providers' catalog ids.
 */
export class ImportPricer {
  private readonly catalog: PriceCatalog;
  private readonly providerOf = new Map<string, string>();

  constructor(private readonly config: Readonly<Config>) {
    this.catalog = new PriceCatalog(
      config.pricing.overrides,
      (id) => config.providers[id]?.catalogProvider ?? id,
    );
  }

  /**
   * The provider of a model the record names none for: `provider/model` with a configured provider, the
   * built-in families, else whichever provider the catalog finds for that model name; else `unknown`.
   */
  providerFor(model: string): string {
    let p = this.providerOf.get(model);
    if (p === undefined) {
      p = this.resolve(model);
      this.providerOf.set(model, p);
    }
    return p;
  }

  private resolve(model: string): string {
    const slash = model.indexOf('/');
    if (slash > 0 && this.config.providers[model.slice(0, slash)]) return model.slice(0, slash);
    for (const [re, id] of FAMILIES) if (re.test(model)) return id;
    try {
      return calcPrice({ input_tokens: 0, output_tokens: 0 }, model)?.provider.id ?? 'unknown';
    } catch {
      return 'unknown';
    }
  }

  /** Cost in pico-USD of the call per the catalog at `ts`; a response-cache hit called no model and costs 0. */
  price(provider: string, model: string, usage: Usage, ts: number, cacheHit: boolean): Priced {
    if (cacheHit) return { catalogPico: 0 };
    const prefix = `${provider}/`;
    const bare = model.startsWith(prefix) ? model.slice(prefix.length) : model;
    const quote = this.catalog.quote(provider, bare, ts);
    const cost = quote ? costPico(usage, quote) : Number.NaN;
    // Beyond 2^53 pico-USD an integer is no longer exact: unpriced, as the gateway does, never wrong.
    return { catalogPico: Number.isSafeInteger(cost) ? cost : null };
  }
}

/** True when a cost the file states differs from the catalog's by more than $0.0000005 and 0.1%. */
export function differs(statedPico: bigint, catalogPico: number): boolean {
  const catalog = BigInt(catalogPico);
  const diff = statedPico > catalog ? statedPico - catalog : catalog - statedPico;
  const rel = catalog / SAME_PRICE_REL_DIVISOR;
  return diff > (rel > SAME_PRICE_ABS_PICO ? rel : SAME_PRICE_ABS_PICO);
}
