// The durable outbox behind webhook delivery: events are rows, each (event, endpoint) pair a delivery whose
// whole state lives in the store, so a restarted process resumes where the last one stopped.

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** A delivery that is due now, with what is needed to build its request. */
export interface DueDelivery {
  eventId: string;
  endpoint: string;
  /** Attempts made before this one. */
  attempts: number;
  type: string;
  /** Event time, epoch ms. */
  ts: number;
  /** The event payload as stored (JSON text). */
  payload: string;
}

export interface DeliveryRecord {
  endpoint: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  deliveredAt: number | null;
}

export interface EventRecord {
  id: string;
  type: string;
  customer: string;
  ts: number;
  payload: unknown;
  /** One per endpoint the event was queued for, ordered by endpoint. */
  deliveries: DeliveryRecord[];
}

export interface EventQuery {
  customer?: string;
  type?: string;
  /** Only events at or after this time, epoch ms. */
  since?: number;
  /** Newest first; defaults to 50, at most 1000. */
  limit?: number;
}

export interface OutboxStore {
  /**
   * Queues a pending delivery to `endpoint` for every event of the given types (all when undefined) that has
   * none yet, due at `now`. Returns how many were queued.
   */
  enqueue(endpoint: string, types: readonly string[] | undefined, now: number): Promise<number>;
  /**
   * Pending deliveries to these endpoints due at `now`, oldest due first. Each is leased until `now + leaseMs`,
   * so a process that dies mid-send leaves it to be retried rather than lost.
   */
  claimDue(endpoints: readonly string[], now: number, limit: number, leaseMs: number): Promise<DueDelivery[]>;
  /** Each mark counts the attempt just made (attempts + 1). */
  markDelivered(eventId: string, endpoint: string, at: number): Promise<void>;
  markRetry(eventId: string, endpoint: string, nextAttemptAt: number, error: string): Promise<void>;
  markFailed(eventId: string, endpoint: string, error: string): Promise<void>;
  listEvents(q: EventQuery): Promise<EventRecord[]>;
  close(): Promise<void>;
}
