// A read-only thread for the economics report's per-customer spend reads (spend-sql.ts): while it reads a
// few hundred thousand rollup rows, the report's own thread reads plan history and prices revenue.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { readSpend, type SpendQuery } from './spend-sql.js';

const db = new Database(workerData.file as string, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');

parentPort?.on('message', (m: { seq: number; query: SpendQuery }) => {
  try {
    const t = readSpend(db, m.query);
    // The columns' buffers move to the other thread instead of being copied.
    parentPort?.postMessage({ seq: m.seq, ok: true, table: t }, [
      t.key.buffer,
      t.costPico.buffer,
      t.requests.buffer,
      t.usedRequests.buffer,
    ] as ArrayBuffer[]);
  } catch (e) {
    parentPort?.postMessage({ seq: m.seq, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
