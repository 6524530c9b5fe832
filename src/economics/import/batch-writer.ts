import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { prepareApplyOps } from '../../ledger/sqlite/insert-requests.js';
import { openLedger } from '../../ledger/sqlite/open-ledger.js';
import { isSqliteBusy } from '../../ledger/store-busy.js';
import type { LedgerRow } from '../../ledger/types.js';

/** Rows per transaction: big enough to amortise the commit, small enough to hold the write lock briefly. */
export const BATCH_ROWS = 10_000;

/**
 * Writes rows through the ledger's op path (prepareApplyOps: the gateway's own transaction, so whatever
 * else that path maintains with each row is maintained for imported rows too), one transaction per batch.
 * Ids the ledger holds (or held before a prune) are counted as present and not written again: the insert
 * itself tells, so no id is looked up twice.
 */
export class LedgerBatchWriter {
  private readonly db: Database.Database;
  private readonly apply: ReturnType<typeof prepareApplyOps>;
  private pending: { request: LedgerRow }[] = [];
  imported = 0;
  /** Rows whose request id the ledger (or this import) already holds: re-importing adds nothing twice. */
  present = 0;

  constructor(private readonly file: string) {
    this.db = openLedger(file, { writable: true });
    this.apply = prepareApplyOps(this.db);
  }

  add(request: LedgerRow): void {
    this.pending.push({ request });
    if (this.pending.length >= BATCH_ROWS) this.flush();
  }

  /** Writes what is pending; call once at the end. */
  flush(): void {
    if (this.pending.length === 0) return;
    const ops = this.pending;
    this.pending = [];
    // IMMEDIATE: the write lock is taken first (apply's own transaction nests inside this one).
    const commit = this.db.transaction(() => this.apply(ops));
    let written: number;
    try {
      written = commit.immediate();
    } catch (e) {
      if (isSqliteBusy(e))
        throw new Error(
          `the ledger ${this.file} is busy (another process holds its write lock); ${this.imported} row(s) were imported before it, the rest were not — run the same import again to finish (rows already in are skipped)`,
        );
      throw e;
    }
    this.imported += written;
    this.present += ops.length - written;
  }

  close(): void {
    this.db.close();
  }
}

/** Dry run: reads the ledger (never creates or migrates it) to count rows already present. */
export class DryRunSink {
  private readonly db: Database.Database | undefined;
  private readonly exists: Database.Statement | undefined;
  private readonly seen = new Set<string>();
  imported = 0;
  present = 0;

  constructor(file: string) {
    if (file === ':memory:' || !existsSync(file)) return;
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    const hasTable = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests'")
      .get();
    if (hasTable) this.exists = this.db.prepare('SELECT 1 FROM requests WHERE id = ?').pluck();
  }

  add(row: LedgerRow): undefined {
    if (this.seen.has(row.id) || this.exists?.get(row.id) !== undefined) {
      this.present++;
      return;
    }
    this.seen.add(row.id);
    this.imported++;
  }

  close(): void {
    this.db?.close();
  }
}
