// The request journal: calls are recorded in it before and after they go upstream, the ledger is fed from
// it in the background, and whatever the ledger had not committed is replayed at the next start.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { BeginRecord } from '../src/journal/codec.js';
import { journaledInFlight } from '../src/journal/in-flight.js';
import { openJournal } from '../src/journal/replay.js';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import type { LedgerRow, LedgerStore } from '../src/ledger/types.js';
import { LedgerWriter } from '../src/ledger/writer.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
import { expectedPico } from './helpers/expected-cost.js';

const T0 = Date.UTC(2026, 10, 20, 12);
const tmp = () => mkdtempSync(join(tmpdir(), 'margin-journal-'));
const quiet = () => {};

function begin(id: string, o: Partial<BeginRecord> = {}): BeginRecord {
  return {
    id,
    ts: T0,
    customer: 'acme',
    keyId: 'key_1',
    feature: 'chat',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'gpt-4o-mini',
    model: 'gpt-4o-mini',
    inputTokens: 100,
    bodyBytes: 400,
    wallet: null,
    ...o,
  };
}

function row(id: string, o: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id,
    ts: T0,
    customer: 'acme',
    keyId: 'key_1',
    feature: 'chat',
    provider: 'openai',
    protocol: 'openai',
    modelRequested: 'gpt-4o-mini',
    modelServed: 'gpt-4o-mini',
    modelRouted: null,
    inputTokens: 10,
    outputTokens: 5,
    reasoningTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    costPico: 12345,
    unpriced: false,
    estimated: false,
    cacheHit: false,
    status: 200,
    errorCode: null,
    latencyMs: 1,
    ttftMs: null,
    streamed: false,
    ...o,
  };
}

/** A store that refuses every write while `down` is set (a locked or full ledger). */
function switchable(inner: LedgerStore): LedgerStore & { down: boolean } {
  return {
    down: true,
    append: (rows) => inner.append(rows),
    write(ops) {
      if (this.down) return Promise.reject(new Error('SQLITE_BUSY: database is locked'));
      return inner.write(ops);
    },
    requests: (q) => inner.requests(q),
    usage: (q) => inner.usage(q),
  };
}

const segments = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.log'));
const opts = { segmentBytes: 4096, reserveBytes: 8192, log: quiet };

describe('request journal', () => {
  test('a recorded call is durable at once; its segment goes once the ledger committed it', async () => {
    const dir = join(tmp(), 'j');
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const gate = switchable(store);
    const writer = new LedgerWriter(gate, { onError: quiet });
    const catalog = new PriceCatalog([], (id) => id);
    const { journal } = await openJournal(dir, { writer, control: store.control, catalog }, opts);
    journal.begin(begin('r1'));
    // The ledger is down, yet record() resolves: the op is in the journal file.
    await journal.record({ request: row('r1') });
    assert.equal((await store.requests({})).length, 0);
    assert.equal(journal.health().ok, true, 'a lagging ledger is not an outage');
    assert.equal(journal.health().backlog, 1);
    // Enough calls to fill several segments: closed ones stay while anything in them is uncommitted.
    for (let i = 2; i <= 40; i++) {
      journal.begin(begin(`r${i}`));
      await journal.record({ request: row(`r${i}`) });
    }
    assert.ok(segments(dir).length > 2, 'segments rotated and were kept');
    gate.down = false;
    await writer.drain();
    assert.equal((await store.requests({ limit: 100 })).length, 40);
    assert.equal(segments(dir).length, 1, 'only the current segment is left');
    journal.close();
    assert.deepEqual(segments(dir), [], 'a clean close leaves nothing to replay');
    await store.close();
  });

  test('segments go oldest first: a kept begin keeps its settle, so a settled call never looks in flight', async () => {
    const dir = join(tmp(), 'j');
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const writer = new LedgerWriter(store, { onError: quiet });
    const catalog = new PriceCatalog([], (id) => id);
    const { journal } = await openJournal(dir, { writer, control: store.control, catalog }, opts);
    journal.begin(begin('hung')); // its call never ends while this test runs: it pins the first segment
    journal.begin(begin('x'));
    for (let i = 0; segments(dir).length < 2; i++) {
      journal.begin(begin(`fill-a${i}`));
      await journal.record({ request: row(`fill-a${i}`) });
    }
    await journal.record({ request: row('x') }); // x's settle lands in the second segment
    for (let i = 0; segments(dir).length < 4; i++) {
      journal.begin(begin(`fill-b${i}`));
      await journal.record({ request: row(`fill-b${i}`) });
    }
    await writer.drain();
    assert.equal(journaledInFlight(dir, 'acme'), 1, 'only the hung call is in flight');
    await journal.record({ request: row('hung') });
    await writer.drain();
    assert.equal(segments(dir).length, 1, 'with the hung call done, only the current segment is left');
    assert.equal(journaledInFlight(dir, 'acme'), 0);
    journal.close();
    await store.close();
  });

  test('replay after a crash: settled calls reach the ledger once, unsettled ones are charged their input', async () => {
    const dir = join(tmp(), 'j');
    const db = join(tmp(), 'l.db');
    const store = new SqliteStore(db);
    const catalog = new PriceCatalog([], (id) => id);
    // First life: the ledger never accepts anything, then the process "dies" (nothing is closed).
    const dead = new LedgerWriter(switchable(store), { onError: quiet });
    const first = await openJournal(dir, { writer: dead, control: store.control, catalog }, opts);
    first.journal.begin(begin('done'));
    await first.journal.record({ request: row('done', { costPico: 777 }) });
    first.journal.begin(begin('inflight', { inputTokens: 1000 }));
    first.journal.begin(begin('metered-only', { inputTokens: null, bodyBytes: 4001 }));
    // A write torn by the kill: half a line at the end of the segment.
    const seg = segments(dir).at(-1) as string;
    appendFileSync(join(dir, seg), '{"s":{"request":{"id":"torn"');
    // A call settled after the ledger did commit it (the row exists): not replayed as an orphan.
    await store.write([{ request: row('committed-early') }]);
    first.journal.begin(begin('committed-early'));

    // Second life.
    const writer = new LedgerWriter(store, { onError: quiet });
    const second = await openJournal(dir, { writer, control: store.control, catalog }, opts);
    assert.deepEqual(second.replayed, { settles: 1, orphans: 2 });
    await writer.drain();
    const rows = new Map((await store.requests({ limit: 100 })).map((r) => [r.id, r]));
    assert.deepEqual([...rows.keys()].sort(), ['committed-early', 'done', 'inflight', 'metered-only']);
    assert.equal(rows.get('done')?.costPico, 777);
    const orphan = rows.get('inflight') as LedgerRow;
    assert.equal(orphan.errorCode, 'gateway_restarted');
    assert.equal(orphan.estimated, true);
    assert.equal(orphan.inputTokens, 1000);
    assert.equal(
      BigInt(orphan.costPico ?? -1),
      expectedPico('openai', 'gpt-4o-mini', { input: 1000, output: 0 }),
      'charged its admitted input at the catalog price',
    );
    // Without a token count the journal estimates ~4 bytes per token from the body size.
    assert.equal(rows.get('metered-only')?.inputTokens, Math.ceil(4001 / 4));
    // Old segments are removed once everything replayed is committed.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(segments(dir).length, 1);
    // Replaying again (a crash right after) adds nothing.
    second.journal.close();
    const again = await openJournal(dir, { writer, control: store.control, catalog }, opts);
    assert.deepEqual(again.replayed, { settles: 0, orphans: 0 });
    again.journal.close();
    await store.close();
  });

  test('an orphan drawing on a wallet is debited what is left, never below zero', async () => {
    const dir = join(tmp(), 'j');
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const catalog = new PriceCatalog([], (id) => id);
    const input = expectedPico('openai', 'gpt-4o-mini', { input: 1000, output: 0 });
    await store.control.addWalletEntry({
      id: 'top',
      wallet: 'w1',
      ts: T0,
      amountPico: input + input / 2n,
      reason: 'top-up',
      requestId: null,
      note: null,
    });
    const dead = new LedgerWriter(switchable(store), { onError: quiet });
    const first = await openJournal(dir, { writer: dead, control: store.control, catalog }, opts);
    first.journal.begin(begin('a', { inputTokens: 1000, wallet: 'w1' }));
    first.journal.begin(begin('b', { inputTokens: 1000, wallet: 'w1' }));
    const writer = new LedgerWriter(store, { onError: quiet });
    const second = await openJournal(dir, { writer, control: store.control, catalog }, opts);
    await writer.drain();
    assert.equal(await store.control.walletBalance('w1', []), 0n, 'the second orphan took only the rest');
    const debits = (await store.control.walletEntries('w1', 10)).filter((e) => e.amountPico < 0n);
    assert.deepEqual(debits.map((e) => -e.amountPico).sort(), [input / 2n, input].sort());
    second.journal.close();
    await store.close();
  });

  test('when the journal cannot write, new calls are refused before upstream and health says why', async () => {
    const dir = join(tmp(), 'j');
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const writer = new LedgerWriter(store, { onError: quiet });
    const catalog = new PriceCatalog([], (id) => id);
    const { journal } = await openJournal(dir, { writer, control: store.control, catalog }, opts);
    journal.begin(begin('ok'));
    // Break the journal: its current segment's descriptor is closed under it (as an I/O error would).
    const files = readdirSync(dir);
    assert.ok(files.includes('reserve'), 'space is held back for calls in flight');
    const { closeSync, readdirSync: ls } = await import('node:fs');
    for (const fd of ls('/proc/self/fd')) {
      const n = Number(fd);
      try {
        const target = (await import('node:fs')).readlinkSync(`/proc/self/fd/${n}`);
        if (target.startsWith(dir) && target.endsWith('.log')) closeSync(n);
      } catch {
        // not ours
      }
    }
    // The call already in flight is still recorded (a fresh segment, using the held-back space)...
    await journal.record({ request: row('ok') });
    // ...and a new one is refused with a 503 while the journal is failing.
    assert.throws(
      () => journal.begin(begin('next')),
      (e: Error & { status?: number; retryAfterSec?: number }) =>
        e.status === 503 && e.retryAfterSec === 1 && /EBADF/.test(e.message),
    );
    const h = journal.health();
    assert.equal(h.ok, false);
    assert.match(h.reason ?? '', /EBADF/);
    // A second later the probe finds the journal writable again.
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(journal.health().ok, true);
    journal.begin(begin('next'));
    await journal.record({ request: row('next') });
    await writer.drain();
    assert.deepEqual((await store.requests({})).map((r) => r.id).sort(), ['next', 'ok']);
    journal.close();
    assert.equal(existsSync(join(dir, 'lock')), false);
    await store.close();
  });

  test('a second process cannot open a journal in use', async () => {
    const dir = join(tmp(), 'j');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lock'), `${process.ppid}\n`); // a live process that is not us
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const writer = new LedgerWriter(store);
    await assert.rejects(
      openJournal(dir, { writer, control: store.control, catalog: new PriceCatalog([], (id) => id) }, opts),
      /in use by process/,
    );
    await store.close();
  });
});

describe('reservations journaled by an older release (in the ledger)', () => {
  test('are recorded as orphans once and released at start', async () => {
    const { recoverReservations } = await import('../src/limits/recovery.js');
    const store = new SqliteStore(join(tmp(), 'l.db'));
    const spec = {
      ts: T0,
      keyId: 'key_1',
      feature: 'chat',
      provider: 'openai',
      protocol: 'openai',
      modelRequested: 'gpt-4o-mini',
      model: 'gpt-4o-mini',
      inputTokens: 50,
      inputCostPico: '7500',
      wallet: null,
    };
    await store.write([
      {
        reserve: {
          id: 'old',
          customer: 'acme',
          createdAt: T0,
          expiresAt: T0 + 1,
          spec: JSON.stringify(spec),
        },
      },
    ]);
    const writer = new LedgerWriter(store);
    assert.equal(await recoverReservations(store.control, writer), 1);
    await writer.drain();
    assert.deepEqual(await store.control.listReservations(), []);
    const [r] = await store.requests({});
    assert.equal(r?.errorCode, 'gateway_restarted');
    assert.equal(r?.costPico, 7500);
    assert.equal(await recoverReservations(store.control, writer), 0);
    await store.close();
  });
});
