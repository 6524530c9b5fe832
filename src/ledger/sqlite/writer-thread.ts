import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { LedgerRow } from '../types.js';
import { configureConnection, prepareInsertRequests } from './insert-requests.js';

// The ledger's writer thread: owns a write connection so inserts, commits and WAL checkpoints never
// block the gateway's event loop. Replies to each batch only after its transaction committed.
const db = new Database(workerData.file as string);
configureConnection(db);
const insert = prepareInsertRequests(db);

parentPort?.on('message', (msg: { seq: number; rows?: LedgerRow[]; close?: boolean }) => {
  if (msg.close) {
    db.close();
    parentPort?.postMessage({ seq: msg.seq, ok: true });
    return;
  }
  try {
    insert(msg.rows ?? []);
    parentPort?.postMessage({ seq: msg.seq, ok: true });
  } catch (e) {
    parentPort?.postMessage({ seq: msg.seq, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
