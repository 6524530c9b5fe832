import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';
import { StoreBusyError } from '../store-busy.js';
import type { WriteOp } from '../types.js';
import type { ControlCall } from './control-writes.js';

interface Reply {
  seq: number;
  ok: boolean;
  value?: unknown;
  error?: string;
  code?: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * The gateway side of a ledger thread (see ledger-thread-main.ts): write() resolves once the thread
 * committed; call() runs one control-plane write there and resolves with its result.
 */
export class LedgerThread {
  private readonly worker: Worker;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** False once the thread has died; the store then writes on its own connection instead. */
  alive = true;

  /** `busyMs`: the control thread's bound on waiting for a write lock held elsewhere. */
  constructor(
    private readonly file: string,
    role: 'writer' | 'checkpointer' | 'control',
    private readonly busyMs = 0,
  ) {
    this.worker = startModuleWorker(import.meta.url, 'ledger-thread-main', { workerData: { file, role } });
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.seq);
      this.pending.delete(r.seq);
      if (this.pending.size === 0) this.worker.unref();
      if (r.ok) p?.resolve(r.value);
      else if (r.code?.startsWith('SQLITE_BUSY')) p?.reject(new StoreBusyError(this.file, this.busyMs));
      else p?.reject(new Error(r.error ?? 'ledger write failed'));
    });
    this.worker.on('error', (e) => this.failAll(e));
    this.worker.on('exit', () => this.failAll(new Error('ledger writer thread exited')));
    // Idle, the thread must not keep a finished process alive; with a write in flight it must.
    this.worker.unref();
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    await this.send({ ops });
  }

  /** One chunk of a prune on the writer thread; resolves with how many rows went. */
  async prune(horizon: number, limit: number): Promise<number> {
    return (await this.send({ prune: { horizon, limit } })) as number;
  }

  call(control: ControlCall): Promise<unknown> {
    return this.send({ control, deadline: Date.now() + this.busyMs });
  }

  async close(): Promise<void> {
    if (this.alive) await this.send({ close: true }).catch(() => undefined);
    await this.worker.terminate();
  }

  private send(msg: {
    ops?: readonly WriteOp[];
    control?: ControlCall;
    deadline?: number;
    close?: boolean;
    prune?: { horizon: number; limit: number };
  }): Promise<unknown> {
    const seq = ++this.seq;
    if (!this.alive) return Promise.reject(new Error('ledger writer thread is not running'));
    return new Promise<unknown>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(seq, { resolve, reject });
      this.worker.postMessage({ seq, ...msg });
    });
  }

  private failAll(e: Error): void {
    this.alive = false;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
