import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { prepareApplyOps } from '../../ledger/sqlite/insert-requests.js';
import { openLedger } from '../../ledger/sqlite/open-ledger.js';
import { preparePrunedCheck } from '../../ledger/sqlite/pruned-ids.js';
import { isSqliteBusy } from '../../ledger/store-busy.js';
import type { LedgerRow } from '../../ledger/types.js';

/** Rows per transaction: big enough to amortise the commit, small enough to hold the write lock briefly. */
export const BATCH_ROWS = 10_000;

/**
 * Writes rows through the ledger's op path (prepareApplyOps: the gateway's own transaction, so whatever
 * else that path maintains with each row is maintained for imported rows too), one transaction per batch.
 * Ids the ledger holds, or held before a prune (pruned_requests), are counted as present and not written
 * again (the op path skips pruned ids too; counting them here keeps the numbers true).
 */
export class LedgerBatchWriter {
  private readonly db: Database.Database;
  private readonly apply: ReturnType<typeof prepareApplyOps>;
  private readonly exists: Database.Statement;
  private readonly pruned: ReturnType<typeof preparePrunedCheck>;
  private pending: LedgerRow[] = [];
  imported = 0;
  /** Rows whose request id the ledger (or this import) already holds: re-importing adds nothing twice. */
  present = 0;

  constructor(private readonly file: string) {
    this.db = openLedger(file, { writable: true });
    this.apply = prepareApplyOps(this.db);
    this.exists = this.db.prepare('SELECT 1 FROM requests WHERE id = ?').pluck();
    this.pruned = preparePrunedCheck(this.db);
  }

  add(row: LedgerRow): void {
    this.pending.push(row);
    if (this.pending.length >= BATCH_ROWS) this.flush();
  }

  /** Writes what is pending; call once at the end. */
  flush(): void {
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    const commit = this.db.transaction(() => {
      const inBatch = new Set<string>();
      const ops = [];
      const horizon = this.pruned.horizon();
      for (const request of rows) {
        if (inBatch.has(request.id) || this.exists.get(request.id) !== undefined) continue;
        if (request.ts < horizon && this.pruned.pruned(request.id)) continue;
        inBatch.add(request.id);
        ops.push({ request });
      }
      this.apply(ops);
      return ops.length;
    });
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
    this.present += rows.length - written;
  }

  close(): void {
    this.db.close();
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
