import type { Config } from '../config/schema.js';
import type { Store } from '../ledger/types.js';
import { openStorage, type Storage } from '../storage/open.js';

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
export async function withStore<T>(flags: StoreFlags, fn: (store: Store) => Promise<T>): Promise<T> {
  const storage = openStorage({ db: await dbFrom(flags) });
  try {
    return await fn(storage.store);
  } finally {
    await storage.close();
  }
}

/** Like withStore, with all of storage (economics reader, retention). */
export async function withStorage<T>(flags: StoreFlags, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const storage = openStorage({ db: await dbFrom(flags) });
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

/**
 * GET on a running gateway's admin API (what only the gateway knows, e.g. reservations in flight), with
 * the admin key from MARGIN_ADMIN_KEY or the config file. Errors say which gateway and why.
 */
export async function fetchAdmin(gateway: string, flags: StoreFlags, path: string): Promise<unknown> {
  const key = (await configFrom(flags)).adminKey;
  if (!key) throw new Error('MARGIN_ADMIN_KEY: required with --gateway (the admin key of that gateway)');
  let base: URL;
  try {
    base = new URL(gateway);
  } catch {
    throw new Error(
      `--gateway: must be a URL such as http://127.0.0.1:8787 (got ${JSON.stringify(gateway)})`,
    );
  }
  const url = new URL(`admin/v1/${path}`, base.href.endsWith('/') ? base : `${base.href}/`);
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new Error(`--gateway: cannot reach ${base.origin} (${cause})`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {}
    throw new Error(`--gateway: ${base.origin} answered ${res.status}: ${message}`);
  }
  return JSON.parse(text) as unknown;
}
