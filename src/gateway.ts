import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Config } from './config/schema.js';
import { startWebhookDelivery } from './events/deliverer.js';
import { SqliteOutboxStore } from './events/sqlite-outbox-store.js';
import { SqliteStore } from './ledger/sqlite/store.js';
import type { Store } from './ledger/types.js';
import { LedgerWriter } from './ledger/writer.js';
import { LimitsEngine } from './limits/engine.js';
import { readPlansFile } from './limits/plans-file.js';
import { recoverReservations } from './limits/recovery.js';
import type { GatewayDeps } from './pipeline/context.js';
import { PriceCatalog } from './pricing/catalog.js';
import { loadTokenizer } from './pricing/estimate-tokens.js';
import { ProviderRegistry } from './providers/registry.js';
import { createApp } from './server/app.js';
import { type Clock, systemClock } from './util/clock.js';

export interface Gateway {
  url: string;
  store: Store;
  writer: LedgerWriter;
  limits: LimitsEngine;
  /** Runs one webhook delivery pass now (tests; the gateway also polls on its own). */
  deliverWebhooks(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  store?: Store;
  log?: GatewayDeps['log'];
}

/** Wires config into the pipeline's dependencies (once, at start-up) and starts listening. */
export async function startGateway(config: Readonly<Config>, opts: StartOptions = {}): Promise<Gateway> {
  await loadTokenizer();
  const store = opts.store ?? new SqliteStore(config.db, { writerThread: true });
  const log = opts.log ?? defaultLog;
  const registry = new ProviderRegistry(config);
  const catalog = new PriceCatalog(
    config.pricing.overrides,
    (id) => registry.providers.get(id)?.catalogProvider ?? id,
  );
  const writer = new LedgerWriter(store, {
    maxBatchDelayMs: config.ledger.maxBatchDelayMs,
    onError: (e) => log('ledger write failed; retrying', { error: String(e) }),
    onRejectedRow: (op, e) => log('ledger write rejected by the store', { op, error: String(e) }),
  });
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  const clock = opts.clock ?? systemClock;
  if (config.plansFile) await store.control.upsertPlans(readPlansFile(config.plansFile), clock.now());
  const recovered = await recoverReservations(store.control, writer);
  if (recovered > 0) log('settled reservations left by a previous run', { count: recovered });
  const limits = new LimitsEngine({ control: store.control, writer, clock, config: config.limits, log });
  await limits.refresh(true);
  const expiry = setInterval(() => limits.expire(), 5000);
  expiry.unref();
  const outbox = new SqliteOutboxStore(config.db);
  const webhooks = startWebhookDelivery({
    store: outbox,
    endpoints: config.webhooks,
    config: config.webhookDelivery,
    // Receivers check webhook-timestamp against their wall clock (replay protection): always real time.
    clock: systemClock,
    log,
  });
  const deps: GatewayDeps = {
    registry,
    catalog,
    writer,
    keys: store,
    clock,
    dispatcher,
    limits,
    limitsConfig: config.limits,
    log,
  };
  const server = createApp({
    deps,
    store,
    adminKey: config.adminKey,
    maxBodyBytes: config.server.maxBodyBytes,
    outbox,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    store,
    writer,
    limits,
    deliverWebhooks: () => webhooks.tick(),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      clearInterval(expiry);
      await webhooks.stop();
      await outbox.close();
      await writer.drain();
      await dispatcher.close();
      if (!opts.store) await store.close();
    },
  };
}

// Logs carry ids and codes only: request bodies and keys never reach them.
function defaultLog(msg: string, fields?: Record<string, unknown>): void {
  const line = JSON.stringify({ time: new Date().toISOString(), msg, ...fields }, (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  process.stderr.write(`${line}\n`);
}
