import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { WriteOp } from '../types.js';
import { configureConnection, prepareApplyOps } from './insert-requests.js';

// Ledger threads, so SQLite never blocks the gateway's event loop. The writer owns the write connection
// and answers each batch only after its transaction committed. The checkpointer copies the WAL back into
// the database file on its own connection: a checkpoint's fsync then delays neither requests nor commits.
const db = new Database(workerData.file as string);
configureConnection(db);
const role = workerData.role as 'writer' | 'checkpointer';

if (role === 'checkpointer') {
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or locked: the next tick tries again.
    }
  }, 1000);
  parentPort?.on('message', (msg: { seq: number }) => {
    clearInterval(timer);
    db.close();
    parentPort?.postMessage({ seq: msg.seq, ok: true });
  });
} else {
  db.pragma('wal_autocheckpoint = 0'); // the checkpointer thread does it
  const apply = prepareApplyOps(db);
  parentPort?.on('message', (msg: { seq: number; ops?: WriteOp[]; close?: boolean }) => {
    if (msg.close) {
      db.close();
      parentPort?.postMessage({ seq: msg.seq, ok: true });
      return;
    }
    try {
      apply(msg.ops ?? []);
      parentPort?.postMessage({ seq: msg.seq, ok: true });
    } catch (e) {
      parentPort?.postMessage({ seq: msg.seq, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  });
}
