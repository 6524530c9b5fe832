import type Database from 'better-sqlite3';
import { idHash } from './pruned-ids.js';
import { HORIZON, rebuildSql } from './rollup-sql.js';

/** Rows deleted per transaction: short enough that the writer's commits go on between chunks. */
export const PRUNE_CHUNK = 5000;

/**
 * One chunk of a prune: raises the stored horizon to `horizon` (it never moves back), keeps the ids of up
 * to `limit` raw rows older than it in pruned_requests and deletes those rows. Their sums stay in the
 * rollups, written when each row was inserted. Returns how many rows went (0: done).
 */
export function preparePruneChunk(db: Database.Database): (horizon: number, limit: number) => number {
  const setHorizon = db.prepare(
    `INSERT INTO control VALUES ('prune_horizon', ?) ON CONFLICT (k) DO UPDATE SET v = MAX(v, excluded.v)`,
  );
  const pick = db.prepare('SELECT rowid AS r, id FROM requests WHERE ts < ? ORDER BY ts LIMIT ?');
  const keep = db.prepare('INSERT OR IGNORE INTO pruned_requests VALUES (?)');
  const drop = db.prepare('DELETE FROM requests WHERE rowid = ?');
  return db.transaction((horizon: number, limit: number) => {
    setHorizon.run(horizon);
    const rows = pick.all(horizon, limit) as { r: number; id: string }[];
    for (const row of rows) {
      keep.run(idHash(row.id));
      drop.run(row.r);
    }
    return rows.length;
  });
}

/** `margin rollups rebuild`: see rebuildSql. One transaction; returns the horizon it kept older days below. */
export function rebuildRollups(db: Database.Database): number {
  return db
    .transaction(() => {
      db.exec(rebuildSql());
      return db.prepare(`SELECT ${HORIZON}`).pluck().get() as number;
    })
    .immediate();
}
