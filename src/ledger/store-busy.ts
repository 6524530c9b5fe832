/**
 * A write could not take the ledger's write lock within its bound: another process (a CLI, a backup, a
 * second gateway) holds it. Retryable; the admin API answers 503 with `retry-after`.
 */
export class StoreBusyError extends Error {
  override name = 'StoreBusyError';
  readonly retryAfterSec = 1;
  constructor(
    readonly file: string,
    readonly waitedMs: number,
  ) {
    super(
      `store busy: another process holds the write lock on ${file} (waited ${waitedMs} ms); nothing was changed, try again shortly`,
    );
  }
}

/** SQLite's "database is locked" (SQLITE_BUSY and its extended codes), as better-sqlite3 reports it. */
export function isSqliteBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
