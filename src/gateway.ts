import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import type { Config } from './config/schema.js';
import { startWebhookDelivery } from './events/deliverer.js';
import { SqliteOutboxStore } from './events/sqlite-outbox-store.js';
import { setAside } from './journal/dead-letter.js';
import { openJournal } from './journal/replay.js';
import { type CallJournal, CommitOnlyJournal } from './journal/request-journal.js';
import { type Retention, startDailyPrune } from './ledger/retention.js';
import type { Store } from './ledger/types.js';
import { LedgerWriter } from './ledger/writer.js';
import { LimitsEngine } from './limits/engine.js';
import { readPlansFile } from './limits/plans-file.js';
import { recoverReservations } from './limits/recovery.js';
import type { GatewayDeps } from './pipeline/context.js';
import { catalogFor } from './pricing/catalog-for.js';
import { loadTokenizer } from './pricing/estimate-tokens.js';
import { ProviderRegistry } from './providers/registry.js';
import { createApp } from './server/app.js';
import { openStorage } from './storage/open.js';
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

const JOURNALED_BATCH_DELAY_MS = 25;

/** Wires config into the pipeline's dependencies (once, at start-up) and starts listening. */
export async function startGateway(config: Readonly<Config>, opts: StartOptions = {}): Promise<Gateway> {
  await loadTokenizer();
  // A store passed in belongs to the caller, who closes it.
  const storage: { store: Store; retention?: Retention; close(): Promise<void> } = opts.store
    ? { store: opts.store, close: async () => {} }
    : openStorage(config, { writerThread: true });
  const store = storage.store;
  const log = opts.log ?? defaultLog;
  const registry = new ProviderRegistry(config);
  const catalog = catalogFor(config, registry);
  const journalDir =
    config.ledger.journalDir ?? (config.db === ':memory:' ? undefined : `${config.db}.journal`);
  const writer = new LedgerWriter(store, {
    maxBatchDelayMs: config.ledger.maxBatchDelayMs ?? (journalDir ? JOURNALED_BATCH_DELAY_MS : 0),
    onError: throttledLog(log, 'ledger write failed; rows wait in the request journal and are retried'),
    onRejectedRow: (op, e) => {
      log('ledger refused one row repeatedly while accepting others; set aside', {
        id: op.request?.id,
        error: String(e),
      });
      if (journalDir) setAside(journalDir, op);
    },
  });
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });
  const clock = opts.clock ?? systemClock;
  if (config.plansFile) await store.control.upsertPlans(readPlansFile(config.plansFile), clock.now());
  const recovered = await recoverReservations(store.control, writer);
  if (recovered > 0) log('settled reservations left by a previous run', { count: recovered });
  let journal: CallJournal = new CommitOnlyJournal(writer);
  if (journalDir) {
    const opened = await openJournal(
      journalDir,
      { writer, control: store.control, catalog },
      {
        segmentBytes: config.ledger.journalSegmentBytes,
        reserveBytes: config.ledger.journalReserveBytes,
        log,
      },
    );
    journal = opened.journal;
    const { settles, orphans } = opened.replayed;
    if (settles + orphans > 0)
      log('replayed the request journal of a previous run', { settled: settles, orphans });
  }
  const limits = new LimitsEngine({ control: store.control, writer, clock, config: config.limits, log });
  await limits.refresh(true);
  const expiry = setInterval(() => limits.expire(), 5000);
  expiry.unref();
  const retainDays = config.ledger.retainDays;
  const pruning =
    retainDays && storage.retention ? startDailyPrune(storage.retention, retainDays, clock, log) : undefined;
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
    journal,
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
      await pruning?.stop();
      await webhooks.stop();
      await outbox.close();
      await writer.drain().finally(() => journal.close());
      await dispatcher.close();
      await storage.close();
    },
  };
}

/** Logs the first failure and then at most one line every 10 s, so an outage cannot flood the log. */
function throttledLog(log: GatewayDeps['log'], msg: string): (e: unknown) => void {
  let last = 0;
  let suppressed = 0;
  return (e) => {
    const now = Date.now();
    if (now - last < 10_000) {
      suppressed++;
      return;
    }
    log(msg, { error: String(e), ...(suppressed ? { suppressed } : {}) });
    last = now;
    suppressed = 0;
  };
}

// Logs carry ids and codes only: request bodies and keys never reach them.
function defaultLog(msg: string, fields?: Record<string, unknown>): void {
  const line = JSON.stringify({ time: new Date().toISOString(), msg, ...fields }, (_k, v) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
  process.stderr.write(`${line}\n`);
}
