import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { prepareRowWriter, type RowWriter } from '../../ledger/sqlite/insert-requests.js';
import { openLedger } from '../../ledger/sqlite/open-ledger.js';
import { preparePrunedCheck } from '../../ledger/sqlite/pruned-ids.js';
import { isSqliteBusy } from '../../ledger/store-busy.js';
import type { LedgerRow } from '../../ledger/types.js';

/**
 * Rows per transaction. A transaction writes every page it touched to the WAL once, and rows of a batch
 * share pages (the same customer's rollups, neighbouring index entries), so bigger batches write much less:
 * 100k rows hold the write lock for 2–3 s on the bench machine. A gateway on the same file meanwhile
 * queues its ledger writes (its writer waits up to 5 s for the lock) and answers admin writes, which wait
 * at most 1 s, with 503 store_busy: imports are meant for before the gateway runs.
 */
export const BATCH_ROWS = 100_000;

/**
 * The import's page cache, in KiB: it must hold every page a batch dirties (else SQLite spills pages to
 * the WAL mid-transaction and writes them again at commit), and keeps the ledger's hot pages between
 * batches. Only this connection's; journal mode and synchronous (crash safety) are the ledger's own.
 */
const CACHE_KIB = 512 * 1024;

/**
 * WAL pages between the import's checkpoints (256 MiB of 4 KiB pages) instead of SQLite's 1000: each
 * 100k-row commit passes 1000, and a checkpoint per commit copies pages the next batch dirties again and
 * waits for two fsyncs each time. The last connection to close the ledger copies back what is left.
 */
const CHECKPOINT_PAGES = 65_536;

/**
 * Writes rows through the ledger's row writer (prepareRowWriter: the gateway's own write path, so whatever
 * it maintains with each row is maintained for imported rows too), one transaction per batch. Rows are
 * written as they are added, so a batch is never held in memory; the transaction stays open between adds.
 * Ids the ledger holds (or held before a prune) are counted as present and not written again: the insert
 * itself tells, so no id is looked up twice.
 */
export class LedgerBatchWriter {
  private readonly db: Database.Database;
  private readonly rows: RowWriter;
  private inTransaction = false;
  private pendingRows = 0;
  private pendingNew = 0;
  /** Rows committed. */
  imported = 0;
  /** Rows whose request id the ledger (or this import) already holds: re-importing adds nothing twice. */
  present = 0;

  /** `batchRows`: rows per transaction (tests use a few to cross batches). */
  constructor(
    private readonly file: string,
    private readonly batchRows = BATCH_ROWS,
  ) {
    this.db = openLedger(file, { writable: true });
    this.db.pragma(`cache_size = -${CACHE_KIB}`);
    this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    this.rows = prepareRowWriter(this.db);
  }

  add(row: LedgerRow): void {
    if (!this.inTransaction) this.begin();
    if (this.rows.write(row)) this.pendingNew++;
    if (++this.pendingRows >= this.batchRows) this.commit();
  }

  /** Commits what is pending; call once at the end. */
  flush(): void {
    if (this.inTransaction) this.commit();
  }

  /** Closes the ledger; a batch not yet committed (an import that failed half-way) is rolled back. */
  close(): void {
    if (this.inTransaction) {
      this.inTransaction = false;
      this.rows.clear();
      // SQLite may have rolled back already (after a full disk, say): then there is nothing to undo.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    }
    this.db.close();
  }

  private begin(): void {
    try {
      // IMMEDIATE: the write lock is taken (or found busy) before the first row.
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      if (isSqliteBusy(e))
        throw new Error(
          `the ledger ${this.file} is busy (another process holds its write lock); ${this.imported} row(s) were imported before it, the rest were not — run the same import again to finish (rows already in are skipped)`,
        );
      throw e;
    }
    this.inTransaction = true;
    this.rows.begin();
  }

  private commit(): void {
    this.rows.flush();
    this.db.exec('COMMIT');
    this.inTransaction = false;
    this.imported += this.pendingNew;
    this.present += this.pendingRows - this.pendingNew;
    this.pendingRows = 0;
    this.pendingNew = 0;
  }
}

/** Dry run: reads the ledger (never creates or migrates it) to count rows already present (or pruned). */
export class DryRunSink {
  private readonly db: Database.Database | undefined;
  private readonly exists: Database.Statement | undefined;
  private readonly pruned: ReturnType<typeof preparePrunedCheck> | undefined;
  private readonly horizon: number = 0;
  private readonly seen = new Set<string>();
  imported = 0;
  present = 0;

  constructor(file: string) {
    if (file === ':memory:' || !existsSync(file)) return;
    const db = new Database(file, { readonly: true, fileMustExist: true });
    this.db = db;
    const hasTable = (name: string) =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    if (hasTable('requests')) this.exists = db.prepare('SELECT 1 FROM requests WHERE id = ?').pluck();
    // A ledger from before retention keeps no pruned ids.
    if (hasTable('pruned_requests') && hasTable('control')) {
      this.pruned = preparePrunedCheck(db);
      this.horizon = this.pruned.horizon();
    }
  }

  add(row: LedgerRow): undefined {
    const pruned = this.pruned !== undefined && row.ts < this.horizon && this.pruned.pruned(row.id);
    if (this.seen.has(row.id) || this.exists?.get(row.id) !== undefined || pruned) {
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
