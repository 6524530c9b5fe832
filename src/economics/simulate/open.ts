import type { Config } from '../../config/schema.js';
import type { SqliteStore } from '../../ledger/sqlite/store.js';
import { PriceCatalog } from '../../pricing/catalog.js';
import type { EconomicsReader } from '../reader.js';

// Where the simulator's edges (CLI, admin API) get their inputs. The two hooks below are the only lines
// to change when the rollups reader and the economics config block land.

/** The catalog the gateway prices with: config overrides (negotiated rates) and declared providers. */
export function catalogFromConfig(config: Readonly<Config>): PriceCatalog {
  return new PriceCatalog(config.pricing.overrides, (id) => config.providers[id]?.catalogProvider ?? id);
}

/** The store's economics reader (daily rollups); undefined until the SQLite reader is merged. */
export function economicsReaderOf(_store: SqliteStore): EconomicsReader | undefined {
  return undefined;
}
