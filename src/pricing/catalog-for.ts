import type { Config } from '../config/schema.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { PriceCatalog } from './catalog.js';

/** The price catalog as the gateway prices calls: config overrides, and each provider's catalog id. */
export function catalogFor(config: Readonly<Config>, registry: ProviderRegistry): PriceCatalog {
  return new PriceCatalog(config.pricing.overrides, (id) => registry.providers.get(id)?.catalogProvider ?? id);
}
