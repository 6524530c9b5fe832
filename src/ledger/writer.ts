import type { LedgerRow, LedgerStore, WriteOp } from './types.js';

interface Pending {
  op: WriteOp;
  done: () => void;
  failures: number;
}

/**
 * A row the store refused this many times on its own, while it accepted others, is set aside (to the
 * dead-letter sink) so it cannot block the rest. While the store refuses everything (locked, disk full)
 * nothing is set aside: rows wait, safe in the request journal, and are retried until it accepts them.
 */
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
  private lastError: string | undefined;
  /** Customers with rows since the last takeTouched(): background checks look at only these. */
  private touched = new Set<string>();

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
    if (op.request) this.touched.add(op.request.customer);
    return new Promise<void>((done) => {
      this.queue.push({ op, done, failures: 0 });
      this.schedule();
    });
  }

  /** The customers with rows submitted since the last call (bounded by traffic between two calls). */
  takeTouched(): string[] {
    const out = [...this.touched];
    this.touched = new Set();
    return out;
  }

  /**
   * Ops handed to the writer and not yet known to be committed. Whoever rebuilds state from the store reads
   * it without these (by id) and adds them from here, so nothing is missed or counted twice.
   */
  *inFlight(): Iterable<WriteOp> {
    for (const p of this.writing) yield p.op;
    for (const p of this.queue) yield p.op;
  }

  /** How many ops wait for the ledger, and why the last write failed while any do. */
  status(): { backlog: number; lastError?: string } {
    const backlog = this.queue.length + this.writing.length;
    return this.failures > 0 && this.lastError ? { backlog, lastError: this.lastError } : { backlog };
  }

  /**
   * Commits what is queued now without waiting out the batch delay, and resolves once it is in the ledger
   * (or after `timeoutMs` if the ledger is down): readers that must see their own calls, like the admin API.
   */
  async caughtUp(timeoutMs = 500): Promise<void> {
    const mine = new Set([...this.writing, ...this.queue]);
    const until = Date.now() + timeoutMs;
    const waiting = () => this.writing.some((p) => mine.has(p)) || this.queue.some((p) => mine.has(p));
    while (mine.size > 0 && waiting() && Date.now() < until) {
      if (!this.flushing && this.failures === 0) void this.flush();
      const pause = new Promise<void>((r) => setTimeout(r, this.flushing ? 1 : 5));
      await (this.flushing ? Promise.race([this.flushing, pause]) : pause);
    }
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
    // A retry timer must not keep a finished process alive; its rows are in the request journal.
    if (delayMs > 0) setTimeout(run, delayMs).unref();
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
    // Rows that failed least go first, so a poison row cannot make a working store look down.
    const groups = batch.some((p) => p.failures >= 2)
      ? [...batch].sort((a, b) => a.failures - b.failures).map((p) => [p])
      : [batch];
    const retry: Pending[] = [];
    let accepted = false;
    const failed: Pending[] = [];
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] as Pending[];
      try {
        await this.store.write(group.map((p) => p.op));
        accepted = true;
        for (const p of group) p.done();
      } catch (e) {
        this.lastError = e instanceof Error ? e.message : String(e);
        this.opts.onError?.(e);
        for (const p of group) {
          p.failures++;
          failed.push(p);
        }
        // A store that refuses the first row it is offered is down (locked, full), not picky: try the
        // rest later instead of waiting out its busy timeout once per row.
        if (!accepted) {
          for (const g of groups.slice(i + 1)) retry.push(...g);
          break;
        }
      }
    }
    for (const p of failed) {
      if (accepted && groups.length > 1 && p.failures >= MAX_ROW_FAILURES) {
        this.opts.onRejectedRow?.(p.op, this.lastError);
        p.done();
      } else retry.push(p);
    }
    // Failed rows go back to the front with backoff; request ids make re-sending a committed row harmless.
    this.failures = retry.length > 0 ? this.failures + 1 : 0;
    this.queue = retry.concat(this.queue);
  }
}
