import Database from 'better-sqlite3';
import { configureConnection } from '../ledger/sqlite/insert-requests.js';
import type {
  DeliveryRecord,
  DeliveryStatus,
  DueDelivery,
  EventQuery,
  EventRecord,
  OutboxStore,
} from './outbox-store.js';

interface DeliveryRow {
  event_id: string;
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  delivered_at: number | null;
}

interface EventRow {
  id: string;
  type: string;
  customer: string;
  ts: number;
  payload: string;
}

/** The outbox on the ledger's SQLite file (tables from the migrations), on a connection of its own. */
export class SqliteOutboxStore implements OutboxStore {
  private readonly db: Database.Database;
  /**
   * Highest event rowid already queued, per endpoint and filter: after the first full pass only newer events
   * are scanned. Rowids only grow while the newest event is never deleted, which nothing does.
   */
  private readonly queuedUpTo = new Map<string, number>();

  constructor(file: string) {
    this.db = new Database(file);
    configureConnection(this.db);
    // This connection is on the event loop: a write lock held elsewhere must cost a failed poll (retried
    // on the next one), never a frozen gateway. 20 ms still outwaits this gateway's own ledger commits.
    this.db.pragma('busy_timeout = 20');
  }

  async enqueue(endpoint: string, types: readonly string[] | undefined, now: number): Promise<number> {
    const cursorKey = JSON.stringify([endpoint, types ?? null]);
    const after = this.queuedUpTo.get(cursorKey) ?? 0;
    const filter = types === undefined ? null : JSON.stringify(types);
    return this.db
      .transaction(() => {
        const upTo = this.db.prepare('SELECT COALESCE(MAX(rowid), 0) FROM events').pluck().get() as number;
        const r = this.db
          .prepare(
            `INSERT OR IGNORE INTO webhook_deliveries (event_id, endpoint, status, attempts, next_attempt_at)
             SELECT id, @endpoint, 'pending', 0, @now FROM events
             WHERE rowid > @after AND rowid <= @upTo
               AND (@filter IS NULL OR type IN (SELECT value FROM json_each(@filter)))`,
          )
          .run({ endpoint, now, after, upTo, filter });
        this.queuedUpTo.set(cursorKey, upTo);
        return r.changes;
      })
      .immediate();
  }

  async claimDue(
    endpoints: readonly string[],
    now: number,
    limit: number,
    leaseMs: number,
  ): Promise<DueDelivery[]> {
    if (endpoints.length === 0) return [];
    return this.db
      .transaction(() => {
        const rows = this.db
          .prepare(
            `SELECT d.event_id, d.endpoint, d.attempts, e.type, e.ts, e.payload
             FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
             WHERE d.status = 'pending' AND d.next_attempt_at <= @now
               AND d.endpoint IN (SELECT value FROM json_each(@endpoints))
             ORDER BY d.next_attempt_at, e.ts, d.event_id
             LIMIT @limit`,
          )
          .all({ now, endpoints: JSON.stringify(endpoints), limit }) as (Pick<
          DeliveryRow,
          'event_id' | 'endpoint' | 'attempts'
        > &
          Pick<EventRow, 'type' | 'ts' | 'payload'>)[];
        const lease = this.db.prepare(
          'UPDATE webhook_deliveries SET next_attempt_at = ? WHERE event_id = ? AND endpoint = ?',
        );
        for (const r of rows) lease.run(now + leaseMs, r.event_id, r.endpoint);
        return rows.map((r) => ({
          eventId: r.event_id,
          endpoint: r.endpoint,
          attempts: r.attempts,
          type: r.type,
          ts: r.ts,
          payload: r.payload,
        }));
      })
      .immediate();
  }

  async markDelivered(eventId: string, endpoint: string, at: number): Promise<void> {
    this.mark(eventId, endpoint, "status = 'delivered', delivered_at = @at, last_error = NULL", { at });
  }

  async markRetry(eventId: string, endpoint: string, nextAttemptAt: number, error: string): Promise<void> {
    this.mark(eventId, endpoint, 'next_attempt_at = @next, last_error = @error', {
      next: nextAttemptAt,
      error,
    });
  }

  async markFailed(eventId: string, endpoint: string, error: string): Promise<void> {
    this.mark(eventId, endpoint, "status = 'failed', last_error = @error", { error });
  }

  async listEvents(q: EventQuery): Promise<EventRecord[]> {
    return queryEvents(this.db, q);
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private mark(eventId: string, endpoint: string, set: string, params: Record<string, unknown>): void {
    this.db
      .prepare(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, ${set}
         WHERE event_id = @eventId AND endpoint = @endpoint AND status = 'pending'`,
      )
      .run({ ...params, eventId, endpoint });
  }
}

/** Events with their delivery state, newest first, on a read-only connection (for the CLI). */
export function listEvents(file: string, q: EventQuery): EventRecord[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return queryEvents(db, q);
  } finally {
    db.close();
  }
}

function queryEvents(db: Database.Database, q: EventQuery): EventRecord[] {
  const events = db
    .prepare(
      `SELECT id, type, customer, ts, payload FROM events
       WHERE (@customer IS NULL OR customer = @customer)
         AND (@type IS NULL OR type = @type)
         AND (@since IS NULL OR ts >= @since)
       ORDER BY ts DESC, id DESC
       LIMIT @limit`,
    )
    .all({
      customer: q.customer ?? null,
      type: q.type ?? null,
      since: q.since ?? null,
      limit: Math.min(Math.max(q.limit ?? 50, 1), 1000),
    }) as EventRow[];
  const deliveries = db
    .prepare(
      `SELECT * FROM webhook_deliveries
       WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, endpoint`,
    )
    .all(JSON.stringify(events.map((e) => e.id))) as DeliveryRow[];
  const byEvent = new Map<string, DeliveryRecord[]>();
  for (const d of deliveries) byEvent.set(d.event_id, [...(byEvent.get(d.event_id) ?? []), toDelivery(d)]);
  return events.map((e) => ({
    id: e.id,
    type: e.type,
    customer: e.customer,
    ts: e.ts,
    payload: parsePayload(e.payload),
    deliveries: byEvent.get(e.id) ?? [],
  }));
}

function toDelivery(d: DeliveryRow): DeliveryRecord {
  return {
    endpoint: d.endpoint,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.next_attempt_at,
    lastError: d.last_error,
    deliveredAt: d.delivered_at,
  };
}

/** A payload that is not JSON is shown as stored rather than hiding the event. */
function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
