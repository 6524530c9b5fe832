// Signed webhook delivery from the durable outbox: signatures checked by the Standard Webhooks reference
// library, retries with backoff on an injected clock, survival across a restart, endpoint filters, and the
// `margin events` command.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Webhook } from 'standardwebhooks';
import { Agent } from 'undici';
import type { WebhookDeliveryConfig, WebhookEndpoint } from '../src/config/schema.js';
import { startWebhookDelivery } from '../src/events/deliverer.js';
import type { DeliveryRecord, OutboxStore } from '../src/events/outbox-store.js';
import { signWebhook } from '../src/events/sign.js';
import { listEvents, SqliteOutboxStore } from '../src/events/sqlite-outbox-store.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import { runCli } from './helpers/cli.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const agent = new Agent();
const dirs: string[] = [];
const logs: string[] = [];

after(async () => {
  await agent.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  assert.ok(!logs.some((l) => l.includes(SECRET.slice(6))), 'the secret never reaches a log');
});

/** A fresh ledger file with the schema (the ledger store runs the migrations). */
async function freshDb(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'margin-webhooks-'));
  dirs.push(dir);
  const file = join(dir, 'margin.db');
  await new SqliteStore(file).close();
  return file;
}

interface TestEvent {
  id: string;
  type?: string;
  customer?: string;
  ts?: number;
  payload?: unknown;
}

function insertEvents(file: string, events: TestEvent[]): void {
  const db = new Database(file);
  try {
    const stmt = db.prepare(
      'INSERT INTO events (id, type, customer, ts, dedupe_key, payload) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const e of events)
      stmt.run(
        e.id,
        e.type ?? 'budget.threshold',
        e.customer ?? 'acme',
        e.ts ?? Date.now(),
        `dedupe:${e.id}`,
        JSON.stringify(e.payload ?? { customer: e.customer ?? 'acme', percent: 80 }),
      );
  } finally {
    db.close();
  }
}

function deliveryOf(file: string, eventId: string, endpoint?: string): DeliveryRecord {
  const e = listEvents(file, {}).find((x) => x.id === eventId);
  assert.ok(e, `event ${eventId} listed`);
  const d = endpoint === undefined ? e.deliveries[0] : e.deliveries.find((x) => x.endpoint === endpoint);
  assert.ok(d, `delivery of ${eventId}`);
  return d;
}

/** What the receiver does with the next request; after the script it answers `fallback`. */
type Reply = number | 'drop' | 'hang';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}

async function startReceiver(script: Reply[] = [], fallback: Reply = 200, port = 0) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      received.push({ path: req.url ?? '', headers, body });
      const reply = script.shift() ?? fallback;
      if (reply === 'drop') req.socket.destroy();
      else if (reply !== 'hang') res.writeHead(reply).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${bound}`,
    url: `http://127.0.0.1:${bound}/hooks`,
    port: bound,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Starts near real time so the reference verifier's timestamp tolerance holds. */
class TestClock {
  t = Date.now();
  now(): number {
    return this.t;
  }
}

function startDelivery(
  store: OutboxStore,
  endpoints: WebhookEndpoint[],
  clock: TestClock,
  config: Partial<WebhookDeliveryConfig> = {},
) {
  return startWebhookDelivery({
    store,
    endpoints,
    clock,
    // The poll timer never fires during a test: each test drives tick() itself.
    config: {
      maxAttempts: 5,
      initialBackoffMs: 1000,
      maxBackoffMs: 3000,
      timeoutMs: 2000,
      pollMs: 3_600_000,
      ...config,
    },
    log: (msg, fields) => logs.push(`${msg} ${JSON.stringify(fields)}`),
    dispatcher: agent,
  });
}

describe('signing', () => {
  test('matches the reference library, and delivered requests verify with it', async () => {
    const body = '{"type":"x","timestamp":"2026-01-01T00:00:00.000Z","data":{}}';
    assert.equal(
      signWebhook(SECRET, 'evt_1', 1_767_225_600, body),
      new Webhook(SECRET).sign('evt_1', new Date(1_767_225_600_000), body),
    );

    const file = await freshDb();
    const ts = Date.UTC(2026, 0, 2, 3, 4, 5);
    const payload = { customer: 'acme', percent: 80, spent_usd: '8.000000' };
    insertEvents(file, [{ id: 'evt_sig', type: 'budget.threshold', ts, payload }]);
    const rx = await startReceiver();
    const store = new SqliteOutboxStore(file);
    const clock = new TestClock();
    const d = startDelivery(store, [{ url: rx.url, secret: SECRET }], clock);
    try {
      await d.tick();
      assert.equal(rx.received.length, 1);
      const r = rx.received[0]!;
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['webhook-id'], 'evt_sig');
      assert.equal(r.headers['webhook-timestamp'], String(Math.floor(clock.t / 1000)));
      assert.deepEqual(new Webhook(SECRET).verify(r.body, r.headers), {
        type: 'budget.threshold',
        timestamp: new Date(ts).toISOString(),
        data: payload,
      });
      assert.throws(() => new Webhook(SECRET).verify(r.body.replace('acme', 'acmf'), r.headers));
      const other = `whsec_${randomBytes(24).toString('base64')}`;
      assert.throws(() => new Webhook(other).verify(r.body, r.headers));
      assert.equal(deliveryOf(file, 'evt_sig').status, 'delivered');
    } finally {
      await d.stop();
      await store.close();
      await rx.close();
    }
  });
});

describe('retries', () => {
  test('retries on 500, a dropped connection and a timeout with doubling backoff, then delivers', async () => {
    const file = await freshDb();
    insertEvents(file, [{ id: 'evt_retry' }]);
    const rx = await startReceiver([500, 'drop', 'hang', 200]);
    const store = new SqliteOutboxStore(file);
    const clock = new TestClock();
    const t0 = clock.t;
    const d = startDelivery(store, [{ url: rx.url, secret: SECRET }], clock, { timeoutMs: 300 });
    try {
      const expectAfterTick = async (at: number, requests: number) => {
        clock.t = at;
        await d.tick();
        assert.equal(rx.received.length, requests, `requests after tick at t0+${at - t0}`);
      };
      await expectAfterTick(t0, 1);
      let s = deliveryOf(file, 'evt_retry');
      assert.deepEqual(
        [s.status, s.attempts, s.nextAttemptAt, s.lastError],
        ['pending', 1, t0 + 1000, 'HTTP 500'],
      );

      await expectAfterTick(t0 + 999, 1); // not due yet
      await expectAfterTick(t0 + 1000, 2); // dropped connection
      s = deliveryOf(file, 'evt_retry');
      assert.deepEqual([s.status, s.attempts, s.nextAttemptAt], ['pending', 2, t0 + 1000 + 2000]);
      assert.ok(s.lastError && s.lastError !== 'HTTP 500', `socket error recorded: ${s.lastError}`);

      await expectAfterTick(t0 + 2999, 2);
      await expectAfterTick(t0 + 3000, 3); // the receiver hangs: timed out
      s = deliveryOf(file, 'evt_retry');
      // 1000 * 2^2 = 4000, capped at maxBackoffMs.
      assert.deepEqual([s.status, s.attempts, s.nextAttemptAt], ['pending', 3, t0 + 3000 + 3000]);
      assert.match(s.lastError ?? '', /timed out/);

      await expectAfterTick(t0 + 6000, 4);
      s = deliveryOf(file, 'evt_retry');
      assert.deepEqual([s.status, s.attempts, s.deliveredAt, s.lastError], ['delivered', 4, t0 + 6000, null]);

      await expectAfterTick(t0 + 86_400_000, 4); // delivered: never sent again
      assert.deepEqual(new Set(rx.received.map((r) => r.headers['webhook-id'])), new Set(['evt_retry']));
      assert.deepEqual(
        rx.received.map((r) => Number(r.headers['webhook-timestamp'])),
        [t0, t0 + 1000, t0 + 3000, t0 + 6000].map((t) => Math.floor(t / 1000)),
      );
    } finally {
      await d.stop();
      await store.close();
      await rx.close();
    }
  });

  test('gives up after maxAttempts and marks the delivery failed', async () => {
    const file = await freshDb();
    insertEvents(file, [{ id: 'evt_fail' }]);
    const rx = await startReceiver([], 503);
    const store = new SqliteOutboxStore(file);
    const clock = new TestClock();
    const d = startDelivery(store, [{ url: rx.url, secret: SECRET }], clock, { maxAttempts: 2 });
    try {
      await d.tick();
      clock.t += 1000;
      await d.tick();
      const s = deliveryOf(file, 'evt_fail');
      assert.deepEqual([s.status, s.attempts, s.lastError], ['failed', 2, 'HTTP 503']);
      clock.t += 86_400_000;
      await d.tick();
      assert.equal(rx.received.length, 2);
      assert.ok(logs.some((l) => l.includes('giving up') && l.includes('evt_fail')));
    } finally {
      await d.stop();
      await store.close();
      await rx.close();
    }
  });
});

describe('restart', () => {
  test('pending deliveries resume in a new process and are delivered once each', async () => {
    const file = await freshDb();
    insertEvents(file, [{ id: 'evt_r1' }, { id: 'evt_r2', type: 'usage.anomaly' }]);
    const down = await startReceiver();
    await down.close(); // nothing listens on this port now
    const endpoints = [{ url: down.url, secret: SECRET }];
    const clock = new TestClock();

    const store1 = new SqliteOutboxStore(file);
    const d1 = startDelivery(store1, endpoints, clock);
    await d1.tick();
    await d1.stop();
    await store1.close();
    for (const id of ['evt_r1', 'evt_r2']) {
      const s = deliveryOf(file, id);
      assert.deepEqual([s.status, s.attempts], ['pending', 1]);
    }

    const up = await startReceiver([], 200, down.port);
    const store2 = new SqliteOutboxStore(file);
    const d2 = startDelivery(store2, endpoints, clock);
    try {
      clock.t += 1000;
      await d2.tick();
      clock.t += 86_400_000;
      await d2.tick();
      assert.deepEqual(up.received.map((r) => r.headers['webhook-id']).sort(), ['evt_r1', 'evt_r2']);
      for (const r of up.received) new Webhook(SECRET).verify(r.body, r.headers);
      for (const id of ['evt_r1', 'evt_r2']) {
        const s = deliveryOf(file, id);
        assert.deepEqual([s.status, s.attempts], ['delivered', 2]);
      }
    } finally {
      await d2.stop();
      await store2.close();
      await up.close();
    }
  });
});

describe('endpoint filters', () => {
  test('an endpoint gets only the event types it lists', async () => {
    const file = await freshDb();
    insertEvents(file, [
      { id: 'evt_f1', type: 'budget.threshold' },
      { id: 'evt_f2', type: 'usage.anomaly' },
    ]);
    const rx = await startReceiver();
    const store = new SqliteOutboxStore(file);
    const endpoints = [
      { url: `${rx.base}/thresholds`, secret: SECRET, events: ['budget.threshold'] },
      { url: `${rx.base}/all`, secret: SECRET },
      { url: `${rx.base}/none`, secret: SECRET, events: [] },
    ];
    const d = startDelivery(store, endpoints, new TestClock());
    try {
      await d.tick();
      // An event written after the first pass is picked up by the next one.
      insertEvents(file, [{ id: 'evt_f3', type: 'budget.threshold' }]);
      await d.tick();
      const got = (path: string) =>
        rx.received
          .filter((r) => r.path === path)
          .map((r) => r.headers['webhook-id'])
          .sort();
      assert.deepEqual(got('/thresholds'), ['evt_f1', 'evt_f3']);
      assert.deepEqual(got('/all'), ['evt_f1', 'evt_f2', 'evt_f3']);
      assert.deepEqual(got('/none'), []);
      const anomaly = listEvents(file, { type: 'usage.anomaly' });
      assert.deepEqual(
        anomaly.flatMap((e) => e.deliveries.map((x) => x.endpoint)),
        [`${rx.base}/all`],
      );
    } finally {
      await d.stop();
      await store.close();
      await rx.close();
    }
  });
});

describe('margin events', () => {
  test('lists events newest first with their delivery status, filtered', async () => {
    const file = await freshDb();
    const now = Date.now();
    insertEvents(file, [
      { id: 'evt_cli_new', type: 'budget.threshold', customer: 'acme', ts: now },
      { id: 'evt_cli_old', type: 'usage.anomaly', customer: 'globex', ts: now - 3 * 86_400_000 },
    ]);
    const rx = await startReceiver();
    const store = new SqliteOutboxStore(file);
    const d = startDelivery(store, [{ url: rx.url, secret: SECRET }], new TestClock());
    await d.tick();
    await d.stop();
    await store.close();
    await rx.close();

    const [plain, recent, globex] = await Promise.all([
      runCli(['events', '--db', file]),
      runCli(['events', '--since', '24h', '--json', '--db', file]),
      runCli(['events', '--customer', 'globex', '--json', '--db', file]),
    ]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /evt_cli_new\s+budget\.threshold\s+acme\s+delivered/);
    assert.ok(plain.stdout.indexOf('evt_cli_new') < plain.stdout.indexOf('evt_cli_old'), 'newest first');

    type EventsJson = { data: { id: string; deliveries: { status: string; attempts: number }[] }[] };
    const r = JSON.parse(recent.stdout) as EventsJson;
    assert.deepEqual(
      r.data.map((e) => [e.id, e.deliveries[0]?.status, e.deliveries[0]?.attempts]),
      [['evt_cli_new', 'delivered', 1]],
    );
    assert.deepEqual(
      (JSON.parse(globex.stdout) as EventsJson).data.map((e) => e.id),
      ['evt_cli_old'],
    );
  });
});
