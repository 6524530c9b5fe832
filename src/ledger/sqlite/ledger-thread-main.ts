import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { WriteOp } from '../types.js';
import { type ControlCall, prepareControlWrites, runControlCall } from './control-writes.js';
import { configureConnection, prepareApplyOps } from './insert-requests.js';
import { preparePruneChunk } from './prune.js';

// Ledger threads, so SQLite never blocks the gateway's event loop. The writer owns the write connection
// and answers each batch only after its transaction committed. The checkpointer copies the WAL back into
// the database file on its own connection: a checkpoint's fsync then delays neither requests nor commits.
// The control thread runs admin writes (plans, customers, top-ups, keys) with a short busy timeout, so a
// write lock held elsewhere turns into a prompt "busy" answer instead of a frozen gateway.
const db = new Database(workerData.file as string);
configureConnection(db);
const role = workerData.role as 'writer' | 'checkpointer' | 'control';

interface Msg {
  seq: number;
  ops?: WriteOp[];
  control?: ControlCall;
  /** Epoch ms by which a control write must have its lock: the bound counts time spent queued here too. */
  deadline?: number;
  close?: boolean;
  /** One chunk of a prune (see prune.ts), between write batches. */
  prune?: { horizon: number; limit: number };
}

const reply = (seq: number, run: () => unknown): void => {
  try {
    parentPort?.postMessage({ seq, ok: true, value: run() });
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    parentPort?.postMessage({
      seq,
      ok: false,
      error: e instanceof Error ? e.message : String(e),
      code: typeof code === 'string' ? code : undefined,
    });
  }
};

if (role === 'checkpointer') {
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or locked: the next tick tries again.
    }
  }, 1000);
  parentPort?.on('message', (msg: Msg) => {
    clearInterval(timer);
    db.close();
    parentPort?.postMessage({ seq: msg.seq, ok: true });
  });
} else if (role === 'control') {
  const writes = prepareControlWrites(db);
  parentPort?.on('message', (msg: Msg) => {
    if (msg.close) return reply(msg.seq, () => void db.close());
    const call = msg.control;
    if (!call) return;
    // Writes queued behind a busy one share its wait instead of each waiting the whole bound again.
    db.pragma(`busy_timeout = ${Math.max(0, Math.round((msg.deadline ?? 0) - Date.now()))}`);
    reply(msg.seq, () => runControlCall(writes, call));
  });
} else {
  db.pragma('wal_autocheckpoint = 0'); // the checkpointer thread does it
  const apply = prepareApplyOps(db);
  const pruneChunk = preparePruneChunk(db);
  parentPort?.on('message', (msg: Msg) => {
    if (msg.close) return reply(msg.seq, () => void db.close());
    const prune = msg.prune;
    if (prune) return reply(msg.seq, () => pruneChunk(prune.horizon, prune.limit));
    reply(msg.seq, () => void apply(msg.ops ?? []));
  });
}
