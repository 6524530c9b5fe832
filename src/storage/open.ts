import type { EconomicsReader } from '../economics/reader.js';
import type { Retention } from '../ledger/retention.js';
import { SqliteStore } from '../ledger/sqlite/store.js';
import type { Store } from '../ledger/types.js';

/** Where the ledger lives: a loaded config, or just its `db` (the CLI's `--db`). */
export interface StorageSource {
  db: string;
}

export interface StorageOptions {
  /** The gateway's setting: ledger and control writes on their own threads (see SqliteStore). */
  writerThread?: boolean;
}

/** Everything the gateway and the CLI read and write, opened together. */
export interface Storage {
  store: Store;
  /** Rollups, plan history and top-ups for the economics report, simulator and recommender. */
  economics: EconomicsReader;
  /** Raw-row pruning and rollup rebuilds. */
  retention: Retention;
  close(): Promise<void>;
}

/**
 * The one place storage is opened. Today every `db` is a SQLite file (or `:memory:`); a Postgres URL will
 * choose its backend here, and nothing that calls this changes.
 */
export function openStorage(source: StorageSource, opts: StorageOptions = {}): Storage {
  const store = new SqliteStore(source.db, { writerThread: opts.writerThread });
  return { store, economics: store.economics(), retention: store, close: () => store.close() };
}
