import type Database from 'better-sqlite3';
import type { LedgerRow, WriteOp } from '../types.js';
import { preparePrunedCheck } from './pruned-ids.js';
import { RollupDeltas } from './rollup-deltas.js';

/**
 * Ledger rows insert with positional parameters (cheaper to bind than named ones); OR IGNORE on the id.
 * Returns whether the row was new: only a new row adds to the rollups.
 */
function prepareInsertRow(db: Database.Database): (r: LedgerRow) => boolean {
  const stmt = db.prepare(`INSERT OR IGNORE INTO requests VALUES (${Array(26).fill('?').join(', ')})`);
  return (r) =>
    stmt.run(
      r.id,
      r.ts,
      r.customer,
      r.keyId,
      r.feature,
      r.provider,
      r.protocol,
      r.modelRequested,
      r.modelServed,
      r.inputTokens,
      r.outputTokens,
      r.reasoningTokens,
      r.cacheWrite5mTokens,
      r.cacheWrite1hTokens,
      r.cacheReadTokens,
      r.costPico,
      r.unpriced ? 1 : 0,
      r.estimated ? 1 : 0,
      r.cacheHit ? 1 : 0,
      r.status,
      r.errorCode,
      r.latencyMs,
      r.ttftMs,
      r.streamed ? 1 : 0,
      r.modelRouted ?? null,
      r.tags?.length ? r.tags.join(',') : null,
    ).changes === 1;
}

/**
 * The ledger-row part of the write path, for whoever runs the transaction (prepareApplyOps below, and the
 * import's bulk writer): each row inserted at most once by id, never again after a prune, and added to the
 * rollups, which `flush` writes inside the same transaction.
 */
export interface RowWriter {
  /** Call when a transaction begins (reads the prune horizon). */
  begin(): void;
  /** Inserts a row unless its id is in the ledger or was pruned; true when it was new. */
  write(r: LedgerRow): boolean;
  /** Upserts the rollups of the rows written since `begin`; call before committing. */
  flush(): void;
  /** Forgets those rollups (the transaction rolled back). */
  clear(): void;
}

/**
 * A row pruned before (an old row imported or replayed again) is not inserted: its sums are in the
 * rollups. Only rows older than the prune horizon can have been pruned, so only they are looked up.
 */
export function prepareRowWriter(db: Database.Database): RowWriter {
  const insertRow = prepareInsertRow(db);
  const deltas = new RollupDeltas(db);
  const prunedCheck = preparePrunedCheck(db);
  let horizon = 0;
  return {
    begin: () => {
      horizon = prunedCheck.horizon();
    },
    write: (r) => {
      if ((r.ts < horizon && prunedCheck.pruned(r.id)) || !insertRow(r)) return false;
      deltas.add(r);
      return true;
    },
    flush: () => deltas.flush(),
    clear: () => deltas.clear(),
  };
}

/**
 * Prepares the write path's transaction: a batch of ops (ledger rows, reservations and their release,
 * wallet movements, events) commits together. Every op is idempotent: rows and wallet entries by id,
 * events by dedupe key, releases by reservation id; so a retried batch changes nothing twice.
 * Returns how many of the ops' ledger rows were new (the rest were already in, or pruned before).
 */
export function prepareApplyOps(db: Database.Database): (ops: readonly WriteOp[]) => number {
  const rows = prepareRowWriter(db);
  const reserve = db.prepare('INSERT OR IGNORE INTO reservations VALUES (?, ?, ?, ?, ?)');
  const release = db.prepare('DELETE FROM reservations WHERE id = ?');
  const wallet = db.prepare('INSERT OR IGNORE INTO wallet_entries VALUES (?, ?, ?, ?, ?, ?, ?)');
  const event = db.prepare('INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?, ?)');
  const apply = db.transaction((ops: readonly WriteOp[]) => {
    rows.begin();
    let inserted = 0;
    for (const op of ops) {
      if (op.reserve) {
        const r = op.reserve;
        reserve.run(r.id, r.customer, r.createdAt, r.expiresAt, r.spec);
      }
      if (op.request && rows.write(op.request)) inserted++;
      if (op.wallet) {
        const w = op.wallet;
        wallet.run(w.id, w.wallet, w.ts, w.amountPico, w.reason, w.requestId, w.note);
      }
      for (const e of op.events ?? []) event.run(e.id, e.type, e.customer, e.ts, e.dedupeKey, e.payload);
      if (op.release) release.run(op.release);
    }
    rows.flush();
    return inserted;
  });
  return (ops) => {
    try {
      return apply(ops);
    } finally {
      rows.clear();
    }
  };
}

/** The connection settings every ledger connection uses (WAL; commits durable against process crashes). */
export function configureConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}
