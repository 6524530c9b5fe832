import type { Config } from '../config/schema.js';
import { SqliteStore } from '../ledger/sqlite/store.js';

export interface StoreFlags {
  db?: string;
  config?: string;
}

// Config loading (zod, YAML) is imported on use: `--db` alone needs none of it, and a CLI command
// should start in a fraction of a second.
export async function configFrom(
  flags: StoreFlags & { port?: string; host?: string },
): Promise<Readonly<Config>> {
  const { ConfigError, loadConfig } = await import('../config/load.js');
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new ConfigError(`--port: must be an integer from 0 to 65535 (got ${flags.port})`);
  return loadConfig({ file: flags.config, overrides: { db: flags.db, port, host: flags.host } });
}

/** The ledger file: `--db` wins over the config file and the environment, so alone it is the answer. */
export async function dbFrom(flags: StoreFlags): Promise<string> {
  if (flags.db !== undefined && flags.config === undefined) return flags.db;
  return (await configFrom(flags)).db;
}

/** Runs a CLI action against the configured store and always closes it. */
export async function withStore<T>(flags: StoreFlags, fn: (store: SqliteStore) => Promise<T>): Promise<T> {
  const store = new SqliteStore(await dbFrom(flags));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
