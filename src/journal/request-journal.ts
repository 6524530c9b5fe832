import type { WriteOp } from '../ledger/types.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { GatewayError } from '../wire/errors.js';
import { type BeginRecord, encodeBegin, encodeSettle, opId } from './codec.js';
import { type Segment, SegmentFiles } from './segment-files.js';

export interface JournalOptions {
  /** A segment is closed and a new one started past this size; closed segments go once fully committed. */
  segmentBytes: number;
  /** Disk space held back and given up when the disk fills, so calls in flight can still be written. */
  reserveBytes: number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface JournalHealth {
  /** False while no durable record can be made: new calls are refused with 503. */
  ok: boolean;
  reason?: string;
  /** Ops the ledger has not committed yet (they are safe in the journal). */
  backlog: number;
  ledgerError?: string;
}

const PROBE_MS = 1000;

/** What the request path needs of a journal: a begin before upstream, a durable record at the end. */
export interface CallJournal {
  begin(b: BeginRecord): void;
  record(op: WriteOp): Promise<void>;
  health(): JournalHealth;
  close(): void;
}

/** No journal file (an in-memory ledger): each record waits for its group commit instead. */
export class CommitOnlyJournal implements CallJournal {
  constructor(private readonly writer: LedgerWriter) {}
  begin(): void {}
  record(op: WriteOp): Promise<void> {
    return this.writer.submit(op);
  }
  health(): JournalHealth {
    return { ok: true, ...this.writer.status() };
  }
  close(): void {}
}

/**
 * The request-path journal. Every call writes a begin line before it goes upstream and a settle line (its
 * whole ledger op) when it ends, each one synchronous write(2): the call's record survives a process kill
 * without waiting for SQLite. The ledger is fed in the background by the group-commit writer; segments are
 * deleted once everything in them is committed, and replayed at start (see replay.ts). When the journal
 * cannot write (disk full, I/O error) new calls are refused before they go upstream until it can again.
 */
export class RequestJournal implements CallJournal {
  private current: Segment | undefined;
  private nextSeq: number;
  private readonly beganIn = new Map<string, Segment>();
  /** Closed segments not yet deleted, oldest first. */
  private readonly retired: Segment[] = [];
  private failure: string | undefined;
  private probedAt = 0;

  constructor(
    private readonly files: SegmentFiles,
    private readonly writer: LedgerWriter,
    private readonly opts: JournalOptions,
    firstSeq: number,
  ) {
    this.nextSeq = firstSeq;
    if (!files.holdReserve()) this.fail('no space left for the request journal');
    else this.rotate();
  }

  /** Journals a call about to go upstream; throws a 503 when no durable record can be made. */
  begin(b: BeginRecord): void {
    const seg = this.failure === undefined || this.probe() ? this.write(encodeBegin(b), false) : undefined;
    if (!seg)
      throw new GatewayError(
        'ledger_unavailable',
        `Usage cannot be recorded right now (${this.failure}); nothing was sent upstream`,
        undefined,
        undefined,
        1,
      );
    seg.pending++;
    this.beganIn.set(b.id, seg);
  }

  /**
   * Records a call's ledger op: journaled at once (the caller may answer as soon as this resolves), then
   * committed to the ledger in the background. If even the journal cannot take it, the op stays queued in
   * memory for the ledger and the caller waits briefly for that commit instead.
   */
  record(op: WriteOp): Promise<void> {
    const seg = this.write(encodeSettle(op), true);
    if (seg) seg.pending++;
    const id = opId(op);
    const committed = this.writer.submit(op).then(() => {
      if (seg) this.done(seg);
      const began = id === undefined ? undefined : this.beganIn.get(id);
      if (began && id !== undefined) {
        this.beganIn.delete(id);
        this.done(began);
      }
    });
    if (seg) return Promise.resolve();
    return Promise.race([committed, new Promise<void>((r) => setTimeout(r, 1000).unref())]);
  }

  health(): JournalHealth {
    if (this.failure !== undefined) this.probe();
    const w = this.writer.status();
    return {
      ok: this.failure === undefined,
      ...(this.failure !== undefined ? { reason: `request journal: ${this.failure}` } : {}),
      backlog: w.backlog,
      ...(w.lastError ? { ledgerError: w.lastError } : {}),
    };
  }

  /** Closes the current segment, deleting it if everything in it is committed (call after writer.drain). */
  close(): void {
    if (this.current) this.retire(this.current);
    this.files.releaseReserve();
    this.files.unlock();
  }

  private write(line: string, mayUseReserve: boolean): Segment | undefined {
    const seg = this.append(line);
    if (seg || !mayUseReserve || !this.files.releaseReserve()) return seg;
    // The disk is full: the held-back space lets this call's record in; new calls wait for the probe.
    return this.append(line);
  }

  private append(line: string): Segment | undefined {
    if (!this.current && !this.rotate()) return undefined;
    const seg = this.current as Segment;
    try {
      this.files.append(seg, line);
      if (seg.bytes >= this.opts.segmentBytes) this.rotate();
      return seg;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      this.fail(`${code} writing ${seg.path}`);
      // A torn line ends this segment: the next line starts a fresh file so replay can skip the fragment.
      this.retire(seg);
      return undefined;
    }
  }

  /** Starts a new segment; false (and failing) when the file cannot be created. */
  private rotate(): boolean {
    const old = this.current;
    try {
      this.current = this.files.create(this.nextSeq++);
    } catch (e) {
      this.current = undefined;
      this.fail(`cannot create a journal segment in ${this.files.dir}: ${(e as Error).message}`);
      return false;
    }
    if (old) this.retire(old);
    return true;
  }

  private retire(seg: Segment): void {
    if (this.current === seg) this.current = undefined;
    this.files.close(seg);
    this.retired.push(seg);
    this.sweep();
  }

  private done(seg: Segment): void {
    seg.pending--;
    this.sweep();
  }

  /**
   * Deletes closed segments oldest first, each once all of it is committed. A settle line lives in the same
   * or a later segment than its begin, so in this order a kept begin always keeps its settle too: readers
   * (replay, `customers show`) never mistake a settled call for one in flight.
   */
  private sweep(): void {
    for (let s = this.retired[0]; s && s.pending === 0; s = this.retired[0]) {
      this.retired.shift();
      this.files.remove(s);
    }
  }

  private fail(reason: string): void {
    if (this.failure === undefined)
      this.opts.log('request journal cannot write; refusing new calls', { reason });
    this.failure = reason;
    this.probedAt = Date.now(); // the next try is a second away: a failing disk is not hammered per call
  }

  /** Retries at most once a second: space for the reserve and a fresh segment mean writing works again. */
  private probe(): boolean {
    const now = Date.now();
    if (now - this.probedAt < PROBE_MS) return false;
    this.probedAt = now;
    if (!this.files.holdReserve()) return false;
    if (!this.current && !this.rotate()) return false;
    this.opts.log('request journal writable again', { was: this.failure });
    this.failure = undefined;
    return true;
  }
}

export { SegmentFiles };
