// The report side of the spend thread (spend-thread-main.ts). Started on first use and unreferenced while
// idle, so it never keeps a finished process alive.
import type { Worker } from 'node:worker_threads';
import type { SpendTable } from '../../economics/spend-table.js';
import { startModuleWorker } from '../../util/module-worker.js';
import type { SpendQuery } from './spend-sql.js';

interface Reply {
  seq: number;
  ok: boolean;
  table?: SpendTable;
  error?: string;
}

export class SpendThread {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<
    number,
    { resolve: (t: SpendTable) => void; reject: (e: Error) => void }
  >();

  constructor(private readonly file: string) {}

  read(query: SpendQuery): Promise<SpendTable> {
    const w = this.start();
    const seq = ++this.seq;
    w.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      w.postMessage({ seq, query });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = startModuleWorker(import.meta.url, 'spend-thread-main', { workerData: { file: this.file } });
    w.on('message', (r: Reply) => {
      const p = this.pending.get(r.seq);
      this.pending.delete(r.seq);
      if (this.pending.size === 0) w.unref();
      if (r.ok && r.table) p?.resolve(r.table);
      else p?.reject(new Error(r.error ?? 'spend read failed'));
    });
    const fail = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      if (this.worker === w) this.worker = undefined;
    };
    w.on('error', fail);
    w.on('exit', () => fail(new Error('spend thread exited')));
    w.unref();
    this.worker = w;
    return w;
  }
}
