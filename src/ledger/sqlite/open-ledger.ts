import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { configureConnection } from './insert-requests.js';
import { MIGRATIONS } from './migrations.js';

/**
 * Opens the ledger file in WAL mode, migrated to the current schema. Any failure (a directory that cannot
 * be created, an unreadable file, not a database) names the path and the cause, so the CLI prints one
 * clear line instead of SQLite's bare "unable to open database file". `writable`: also refuse a read-only
 * file up front (the gateway), where SQLite would open it read-only and fail on the first ledger row.
 */
export function openLedger(file: string, opts: { writable?: boolean } = {}): Database.Database {
  let db: Database.Database | undefined;
  try {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    if (opts.writable && file !== ':memory:' && existsSync(file))
      accessSync(file, constants.R_OK | constants.W_OK);
    db = new Database(file);
    configureConnection(db);
    migrate(db);
    return db;
  } catch (e) {
    db?.close();
    const where = file === ':memory:' ? file : resolve(file);
    throw new Error(`db: cannot open the ledger ${where} for reading and writing: ${reason(e)}`);
  }
}

function migrate(db: Database.Database): void {
  // Up to date: nothing to take the write lock for (a lock held elsewhere must not stop a read-only CLI).
  if ((db.pragma('user_version', { simple: true }) as number) >= MIGRATIONS.length) return;
  // IMMEDIATE takes the write lock first, so two processes opening a fresh file cannot both migrate.
  for (let v = 0; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      if (current > v) return;
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}

function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const message = e instanceof Error ? e.message : String(e);
  if (code === 'SQLITE_READONLY' || /readonly/.test(message))
    return `${message} (the file or its directory is read-only)`;
  if (code === 'SQLITE_CANTOPEN') return `${message} (missing permission, or the path is a directory)`;
  if (code === 'SQLITE_NOTADB') return `${message} (not a SQLite ledger)`;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return `${message} (no permission to write it)`;
  if (code === 'EEXIST' || code === 'ENOTDIR') return `${message} (a parent of the path is a file)`;
  return message;
}
