import type { EventRecord } from './outbox-store.js';

/** An event as the CLI's --json and the admin API show it: snake_case and ISO times. */
export function presentEvent(e: EventRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: e.id,
    time: iso(e.ts),
    type: e.type,
    customer: e.customer,
    payload: e.payload,
    deliveries: e.deliveries.map((d) => ({
      endpoint: d.endpoint,
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
      last_error: d.lastError,
      delivered_at: iso(d.deliveredAt),
    })),
  };
}
