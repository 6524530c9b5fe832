import type Database from 'better-sqlite3';
import type { LedgerRow } from '../types.js';

/**
 * Prepares the batch insert for ledger rows: positional parameters (cheaper to bind than named ones), one
 * transaction per batch, and INSERT OR IGNORE on the request id so a retried batch never counts a row twice.
 */
export function prepareInsertRequests(db: Database.Database): (rows: readonly LedgerRow[]) => void {
  const stmt = db.prepare(`INSERT OR IGNORE INTO requests VALUES (${Array(24).fill('?').join(', ')})`);
  return db.transaction((rows: readonly LedgerRow[]) => {
    for (const r of rows) {
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
      );
    }
  });
}

/** The connection settings every ledger connection uses (WAL; commits durable against process crashes). */
export function configureConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
}
