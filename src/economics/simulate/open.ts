import type { Config } from '../../config/schema.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import { catalogFor } from '../../pricing/catalog-for.js';
import { ProviderRegistry } from '../../providers/registry.js';

/** The catalog the gateway prices with: config overrides (negotiated rates) and declared providers. */
export function catalogFromConfig(config: Readonly<Config>): PriceCatalog {
  return catalogFor(config, new ProviderRegistry(config));
}
