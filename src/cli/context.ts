import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { SqliteStore } from '../ledger/sqlite/store.js';

export interface StoreFlags {
  db?: string;
  config?: string;
}

export function configFrom(flags: StoreFlags & { port?: string; host?: string }): Readonly<Config> {
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new ConfigError(`--port: must be an integer from 0 to 65535 (got ${flags.port})`);
  return loadConfig({ file: flags.config, overrides: { db: flags.db, port, host: flags.host } });
}

/** Runs a CLI action against the configured store and always closes it. */
export async function withStore<T>(flags: StoreFlags, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(configFrom(flags).db);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
