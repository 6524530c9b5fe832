import type { LedgerRow, LedgerStore } from './types.js';

interface Pending {
  row: LedgerRow;
  done: () => void;
}

/**
 * Group commit: rows recorded in the same event-loop turn are written in one transaction, and each caller's
 * promise resolves only once its row is durable. The request path waits one commit, never one per row, so
 * throughput stays flat while no answered request can be missing from the ledger.
 */
export class LedgerWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  private failures = 0;

  constructor(
    private readonly store: LedgerStore,
    private readonly opts: { maxBatchDelayMs?: number; onError?: (e: unknown) => void } = {},
  ) {}

  record(row: LedgerRow): Promise<void> {
    return new Promise<void>((done) => {
      this.queue.push({ row, done });
      this.schedule();
    });
  }

  /** Waits until every row recorded so far is committed. */
  async drain(maxAttempts = 100): Promise<void> {
    for (let i = 0; i < maxAttempts && (this.queue.length > 0 || this.flushing); i++) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }

  private schedule(delayMs = this.opts.maxBatchDelayMs ?? 0): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      void this.flush();
    };
    if (delayMs > 0) setTimeout(run, delayMs).unref();
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.flushing = this.store
      .append(batch.map((p) => p.row))
      .then(() => {
        this.failures = 0;
        for (const p of batch) p.done();
      })
      .catch((e: unknown) => {
        // Keep the rows (ids make the retry idempotent) and try again with backoff; callers keep waiting.
        this.failures++;
        this.opts.onError?.(e);
        this.queue = batch.concat(this.queue);
        this.scheduled = false;
        this.schedule(Math.min(2000, 20 * 2 ** this.failures));
      })
      .finally(() => {
        this.flushing = undefined;
        if (this.queue.length > 0) this.schedule();
      });
    return this.flushing;
  }
}
