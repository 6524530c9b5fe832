import { type Dispatcher, request } from 'undici';
import type { WebhookDeliveryConfig, WebhookEndpoint } from '../config/schema.js';
import type { Clock } from '../util/clock.js';
import type { DueDelivery, OutboxStore } from './outbox-store.js';
import { webhookHeaders } from './sign.js';

export interface WebhookDeliveryDeps {
  store: OutboxStore;
  endpoints: readonly WebhookEndpoint[];
  config: WebhookDeliveryConfig;
  clock: Clock;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** HTTP agent for the requests; undici's global one when omitted. */
  dispatcher?: Dispatcher;
}

export interface WebhookDelivery {
  /** One pass: queue new events, send what is due. A tick while one runs joins it. */
  tick(): Promise<void>;
  /** Stops the timer and waits for the pass in flight. Does not close the store. */
  stop(): Promise<void>;
}

/** Deliveries sent per pass; the rest wait for the next poll. */
const BATCH = 100;

/**
 * Polls the outbox and POSTs each due delivery, signed per Standard Webhooks. At-least-once: the webhook-id
 * is the event id on every attempt, so receivers dedupe; all retry state is in the store.
 */
export function startWebhookDelivery(deps: WebhookDeliveryDeps): WebhookDelivery {
  const { store, config, clock, log } = deps;
  const endpoints = new Map(deps.endpoints.map((e) => [e.url, e]));
  // A send in flight holds its lease this long; past it, a crashed process's delivery is due again.
  const leaseMs = config.timeoutMs + 60_000;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  async function pass(): Promise<void> {
    for (const e of endpoints.values()) await store.enqueue(e.url, e.events, clock.now());
    const due = await store.claimDue([...endpoints.keys()], clock.now(), BATCH, leaseMs);
    await Promise.all(due.map(deliverOne));
  }

  async function deliverOne(d: DueDelivery): Promise<void> {
    const endpoint = endpoints.get(d.endpoint);
    if (!endpoint) return;
    const attempt = d.attempts + 1;
    const where = { event: d.eventId, endpoint: redact(d.endpoint), attempt };
    try {
      const body = bodyOf(d);
      if (body === undefined) return await store.markFailed(d.eventId, d.endpoint, 'payload is not JSON');
      const error = await post(endpoint, d.eventId, body);
      if (error === undefined) return await store.markDelivered(d.eventId, d.endpoint, clock.now());
      if (attempt >= config.maxAttempts) {
        log('webhook delivery failed; giving up', { ...where, error });
        return await store.markFailed(d.eventId, d.endpoint, error);
      }
      const backoff = Math.min(config.maxBackoffMs, config.initialBackoffMs * 2 ** (attempt - 1));
      log('webhook delivery failed; will retry', { ...where, error, retryInMs: backoff });
      await store.markRetry(d.eventId, d.endpoint, clock.now() + backoff, error);
    } catch (e) {
      // The lease runs out and the delivery is tried again: nothing is lost, at worst sent twice.
      log('webhook outbox update failed', { ...where, error: String(e) });
    }
  }

  /** Sends one attempt; undefined on a 2xx, else why it failed. */
  async function post(endpoint: WebhookEndpoint, msgId: string, body: string): Promise<string | undefined> {
    const sentAt = Math.floor(clock.now() / 1000);
    try {
      const res = await request(endpoint.url, {
        method: 'POST',
        headers: { ...webhookHeaders(endpoint.secret, msgId, sentAt, body) },
        body,
        dispatcher: deps.dispatcher,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      await res.body.dump();
      return res.statusCode >= 200 && res.statusCode < 300 ? undefined : `HTTP ${res.statusCode}`;
    } catch (e) {
      if (e instanceof Error && e.name === 'TimeoutError') return `timed out after ${config.timeoutMs} ms`;
      return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
  }

  function tick(): Promise<void> {
    if (stopped) return Promise.resolve();
    inFlight ??= pass().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const timer = setInterval(() => {
    tick().catch((e: unknown) => log('webhook delivery pass failed', { error: String(e) }));
  }, config.pollMs);
  timer.unref();

  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight?.catch(() => undefined);
    },
  };
}

/** The Standard Webhooks payload, serialized once: these exact bytes are signed and sent. */
function bodyOf(d: DueDelivery): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(d.payload);
  } catch {
    return undefined;
  }
  return JSON.stringify({ type: d.type, timestamp: new Date(d.ts).toISOString(), data });
}

/** Endpoint URLs can carry tokens in their query or userinfo: logs get origin and path only. */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
