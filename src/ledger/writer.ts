import type { LedgerRow, LedgerStore, WriteOp } from './types.js';

interface Pending {
  op: WriteOp;
  done: () => void;
  failures: number;
}

/** A row the store refused this many times on its own is set aside (logged whole) so it cannot block others. */
const MAX_ROW_FAILURES = 5;

/**
 * Group commit: rows recorded in the same event-loop turn are written in one transaction, and each caller's
 * promise resolves only once its row is durable. The request path waits one commit, never one per row, so
 * throughput stays flat while no answered request can be missing from the ledger.
 */
export class LedgerWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | undefined;
  /** The batch being written right now (not yet known to be committed). */
  private writing: Pending[] = [];
  private failures = 0;

  constructor(
    private readonly store: LedgerStore,
    private readonly opts: {
      maxBatchDelayMs?: number;
      onError?: (e: unknown) => void;
      onRejectedRow?: (op: WriteOp, e: unknown) => void;
    } = {},
  ) {}

  record(row: LedgerRow): Promise<void> {
    return this.submit({ request: row });
  }

  /** Queues ops for the next group commit; resolves once they are durable. */
  submit(op: WriteOp): Promise<void> {
    return new Promise<void>((done) => {
      this.queue.push({ op, done, failures: 0 });
      this.schedule();
    });
  }

  /**
   * Ops handed to the writer and not yet known to be committed. Whoever rebuilds state from the store reads
   * it without these (by id) and adds them from here, so nothing is missed or counted twice.
   */
  *inFlight(): Iterable<WriteOp> {
    for (const p of this.writing) yield p.op;
    for (const p of this.queue) yield p.op;
  }

  /** Waits until every row recorded so far is committed; rejects if the store stays down past the deadline. */
  async drain(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.queue.length > 0 || this.flushing) {
      if (Date.now() > until) throw new Error(`ledger: ${this.queue.length} row(s) not committed`);
      if (this.flushing) await this.flushing;
      else if (this.failures > 0) await new Promise((r) => setTimeout(r, 20));
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
    if (delayMs > 0) setTimeout(run, delayMs);
    else setImmediate(run);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.writing = batch;
    this.flushing = this.write(batch).finally(() => {
      this.flushing = undefined;
      this.writing = [];
      if (this.queue.length > 0)
        this.schedule(this.failures > 0 ? Math.min(2000, 20 * 2 ** this.failures) : undefined);
    });
    return this.flushing;
  }

  private async write(batch: Pending[]): Promise<void> {
    // A batch that already failed twice is retried row by row, so one bad row cannot hold back the rest.
    const groups = batch.some((p) => p.failures >= 2) ? batch.map((p) => [p]) : [batch];
    const retry: Pending[] = [];
    for (const group of groups) {
      try {
        await this.store.write(group.map((p) => p.op));
        for (const p of group) p.done();
      } catch (e) {
        this.opts.onError?.(e);
        for (const p of group) {
          p.failures++;
          if (p.failures >= MAX_ROW_FAILURES) {
            this.opts.onRejectedRow?.(p.op, e);
            p.done();
          } else retry.push(p);
        }
      }
    }
    // Failed rows go back to the front with backoff; request ids make re-sending a committed row harmless.
    this.failures = retry.length > 0 ? this.failures + 1 : 0;
    this.queue = retry.concat(this.queue);
  }
}
