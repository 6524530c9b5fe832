import type { PlanSpecInput } from '../../src/limits/plan-schema.js';
import type { Clock } from '../../src/util/clock.js';
import { ADMIN_KEY, type Harness } from './harness.js';

/** A clock the test moves by hand: cycle resets, pace and anomalies without waiting. */
export class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Calls the admin API of the harness's gateway; throws with the body on a non-2xx answer. */
export async function admin(h: Harness, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${h.gateway.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text);
}

export async function applyPlans(h: Harness, plans: Record<string, PlanSpecInput>): Promise<void> {
  await admin(h, 'PUT', '/plans', { plans });
}

export async function setPlan(
  h: Harness,
  customer: string,
  plan: string | null,
  extra: { cycle_day?: number; wallet?: string } = {},
): Promise<void> {
  await admin(h, 'PUT', `/customers/${customer}`, { plan, ...extra });
}

/** Events in the outbox, oldest first, with parsed payloads. */
export async function outboxEvents(
  h: Harness,
): Promise<{ type: string; customer: string; payload: Record<string, unknown> }[]> {
  await h.gateway.writer.drain();
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(h.db, { readonly: true });
  try {
    const rows = db.prepare('SELECT type, customer, payload FROM events ORDER BY ts, rowid').all() as {
      type: string;
      customer: string;
      payload: string;
    }[];
    return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Record<string, unknown> }));
  } finally {
    db.close();
  }
}

/** Sum of ledger cost for a customer, in pico-USD, straight from the rows. */
export async function ledgerSpend(h: Harness, customer = 'acme'): Promise<bigint> {
  const rows = await h.rows();
  return rows.filter((r) => r.customer === customer).reduce((s, r) => s + BigInt(r.costPico ?? 0), 0n);
}

/** Integer pico-USD → the exact decimal USD string a plan or a top-up accepts. */
export function picoDecimal(pico: bigint): string {
  return `${pico / 1_000_000_000_000n}.${(pico % 1_000_000_000_000n).toString().padStart(12, '0')}`;
}
