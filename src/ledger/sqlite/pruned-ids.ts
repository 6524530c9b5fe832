import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

/**
 * A pruned request's id is kept as a 64-bit hash (the first 8 bytes of its SHA-256, signed as SQLite
 * stores integers): 8 bytes per row instead of the id's ~30. Only rows older than the prune horizon are
 * checked against it, so a hash collision could at worst drop a row imported from before the horizon
 * (about one in 10^7 at 10^6 pruned ids against 10^6 imported ones).
 */
export function idHash(id: string): bigint {
  return createHash('sha256').update(id).digest().readBigInt64BE(0);
}

/** Checks whether a row was pruned before: only rows older than the horizon can have been. */
export function preparePrunedCheck(db: Database.Database): {
  horizon(): number;
  pruned(id: string): boolean;
} {
  const horizon = db.prepare(`SELECT v FROM control WHERE k = 'prune_horizon'`).pluck();
  const seen = db.prepare('SELECT 1 FROM pruned_requests WHERE id_hash = ?').pluck();
  return {
    horizon: () => (horizon.get() as number | undefined) ?? 0,
    pruned: (id) => seen.get(idHash(id)) !== undefined,
  };
}
