// Faults the journal exists for, through the official SDK: a ledger locked by another process, a full
// disk, and a SIGKILL under load. In each, no call the provider served may be missing from the ledger.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { loadConfig } from '../src/config/load.js';
import { type Gateway, startGateway } from '../src/gateway.js';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import { type Standin, startStandin } from '../src/standin/server.js';
import { ROOT, runCli, startServe } from './helpers/cli.js';
import { eventually } from './helpers/harness.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'margin-faults-'));

async function gatewayOn(db: string, standin: Standin, ledger: Record<string, number> = {}) {
  const config = loadConfig({
    env: { MARGIN_UPSTREAM_OPENAI_URL: `${standin.url}/v1`, OPENAI_API_KEY: 'sk-up' },
    overrides: { port: 0, db },
  });
  const gateway = await startGateway(
    { ...config, ledger: { ...config.ledger, ...ledger } },
    { log: () => {} },
  );
  const { key } = await createVirtualKey(gateway.store, { customer: 'acme', now: Date.now() });
  const openai = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  return { gateway, openai };
}

/** One chat call; resolves with its request id once the whole answer (JSON or stream) has arrived. */
async function chat(openai: OpenAI, stream = false): Promise<string> {
  const messages = [{ role: 'user' as const, content: 'hi' }];
  if (stream) {
    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4o-mini', messages, stream: true })
      .withResponse();
    for await (const _ of data);
    return response.headers.get('x-margin-request-id') as string;
  }
  const { response } = await openai.chat.completions
    .create({ model: 'gpt-4o-mini', messages })
    .withResponse();
  return response.headers.get('x-margin-request-id') as string;
}

async function health(gateway: Gateway): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${gateway.url}/healthz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Another process takes SQLite's write lock on `db` and holds it until released. */
async function holdWriteLock(db: string): Promise<{ release(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(db)});
       d.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
       process.stdin.once('data', () => { d.exec('COMMIT'); d.close(); process.exit(0); });`,
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return {
    async release() {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.write('go\n');
      await exited;
    },
  };
}

async function ids(gateway: Gateway): Promise<string[]> {
  await gateway.writer.drain(30_000);
  return (await gateway.store.requests({ limit: 10_000 })).map((r) => r.id);
}

describe('journal faults', () => {
  let standin: Standin;
  before(async () => {
    standin = await startStandin({ port: 0 });
  });
  after(() => standin.close());

  test('while another process holds the ledger lock, calls are answered and recorded once it lets go', async () => {
    const db = join(tmp(), 'ledger.db');
    const { gateway, openai } = await gatewayOn(db, standin);
    try {
      await chat(openai); // warm: the ledger threads are up
      const lock = await holdWriteLock(db);
      const answered: string[] = [];
      let released = false;
      try {
        // Sequential calls, JSON and streamed: each is answered while the lock is still held (before
        // the fix each one waited out the busy timeouts and its row was then dropped).
        for (let i = 0; i < 6; i++) answered.push(await chat(openai, i % 2 === 1));
        const h = await health(gateway);
        assert.equal(h.status, 200, 'a lagging ledger is not an outage: the journal has the calls');
        assert.ok(Number(h.body.backlog) >= 1, 'health reports the ledger backlog');
        // Past SQLite's busy timeout the writer's commit fails: the rows stay queued (before the fix they
        // were dropped after a few such failures) and calls go on being answered.
        const failed = await eventually(async () => {
          const b = (await health(gateway)).body;
          assert.match(String(b.ledgerError), /locked|busy/i);
          return b;
        }, 20_000);
        assert.ok(Number(failed.backlog) >= answered.length);
        for (let i = 0; i < 3; i++) answered.push(await chat(openai, i % 2 === 0));
        assert.equal(released, false);
      } finally {
        await lock.release();
        released = true;
      }
      const inLedger = await ids(gateway);
      for (const id of answered) assert.ok(inLedger.includes(id), `${id} reached the ledger`);
      assert.equal(new Set(inLedger).size, inLedger.length);
      assert.equal(inLedger.length, answered.length + 1);
    } finally {
      await gateway.close();
    }
  });

  test('disk full: calls in flight are kept, new calls get 503 before upstream, all recorded once space returns', async (t) => {
    const mnt = join(tmp(), 'small-disk');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here (needs root)');
      return;
    }
    const { gateway, openai } = await gatewayOn(join(mnt, 'ledger.db'), standin, {
      journalReserveBytes: 128 * 1024,
      journalSegmentBytes: 64 * 1024,
    });
    const filler = join(mnt, 'filler');
    try {
      const first = await chat(openai);
      // Calls that are upstream when the disk fills.
      standin.setDefault({
        kind: 'reply',
        usage: { inputTokens: 20, outputTokens: 10 },
        firstByteDelayMs: 600,
      });
      const seen = standin.requests.length;
      const inFlight = Array.from({ length: 5 }, (_, i) => chat(openai, i % 2 === 1));
      await eventually(async () => assert.equal(standin.requests.length, seen + 5));
      const fd = openSync(filler, 'w');
      const chunk = Buffer.alloc(64 * 1024, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (e) {
        assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        closeSync(fd);
      }
      const answered = await Promise.all(inFlight);
      assert.equal(answered.length, 5, 'every call in flight was answered');
      standin.setDefault({ kind: 'reply', usage: { inputTokens: 20, outputTokens: 10 } });
      // Nothing durable can be written now: a new call is refused before it reaches the provider.
      const before503 = standin.requests.length;
      const refused = await chat(openai).catch((e: unknown) => e);
      assert.ok(refused instanceof OpenAI.APIError, String(refused));
      assert.equal(refused.status, 503);
      assert.equal(refused.headers?.get('retry-after'), '1');
      assert.match(refused.message, /cannot be recorded/);
      assert.equal(standin.requests.length, before503, 'the refused call never went upstream');
      const sick = await health(gateway);
      assert.equal(sick.status, 503);
      assert.match(String(sick.body.reason), /ENOSPC/);

      rmSync(filler);
      await eventually(async () => assert.equal((await health(gateway)).status, 200), 5000);
      const after = await chat(openai);
      const inLedger = await ids(gateway);
      for (const id of [first, ...answered, after])
        assert.ok(inLedger.includes(id), `${id} is in the ledger`);
      const rows = await gateway.store.requests({ limit: 100 });
      assert.equal(rows.filter((r) => r.status === 503).length, 1, 'the refused call has its one row');
      assert.equal(rows.length, 8);
    } finally {
      standin.setDefault({ kind: 'reply' });
      await gateway.close().catch(() => {});
      execFileSync('umount', ['-l', mnt]);
    }
  });

  test('SIGKILL under load (20 clients): every call the provider served is in the ledger after restart', async () => {
    const db = join(tmp(), 'ledger.db');
    const created = await runCli(['keys', 'create', '--customer', 'acme', '--db', db]);
    assert.equal(created.code, 0, created.stderr);
    const env = { MARGIN_UPSTREAM_OPENAI_URL: `${standin.url}/v1`, OPENAI_API_KEY: 'sk-up' };
    const proc = await startServe(['--db', db], env);
    const openai = new OpenAI({ apiKey: created.stdout.trim(), baseURL: `${proc.url}/v1`, maxRetries: 0 });
    standin.setDefault({ kind: 'reply', usage: { inputTokens: 30, outputTokens: 12 }, firstByteDelayMs: 15 });
    const upstreamBefore = standin.requests.length;
    const acked: string[] = [];
    let stop = false;
    const clients = Array.from({ length: 20 }, async (_, c) => {
      for (let i = 0; !stop && i < 10_000; i++) {
        try {
          acked.push(await chat(openai, (c + i) % 3 === 0));
        } catch {
          return; // the gateway is gone
        }
      }
    });
    try {
      await eventually(async () => assert.ok(acked.length >= 150), 30_000);
      proc.child.kill('SIGKILL');
      await proc.exited;
    } finally {
      stop = true;
      proc.child.kill('SIGKILL');
    }
    await Promise.all(clients);
    const served = standin.requests.length - upstreamBefore;
    standin.setDefault({ kind: 'reply' });

    const config = loadConfig({ env: { ...env, MARGIN_DB: db }, overrides: { port: 0 } });
    const gateway = await startGateway(config, { log: () => {} });
    try {
      await gateway.writer.drain(30_000);
      const rows = await gateway.store.requests({ limit: 100_000 });
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const id of acked) assert.equal(byId.get(id)?.status, 200, `answered call ${id} is in the ledger`);
      // Every call that reached the provider is either settled or an orphan charged its input.
      const wentUpstream = rows.filter((r) => r.status === 200 || r.errorCode === 'gateway_restarted');
      assert.ok(
        wentUpstream.length >= served,
        `${wentUpstream.length} rows for ${served} calls the provider served`,
      );
      assert.ok(rows.length <= served + 20, 'at most one unsent call per client beyond those served');
      for (const r of rows.filter((x) => x.errorCode === 'gateway_restarted')) {
        assert.equal(r.estimated, true);
        assert.ok(r.inputTokens > 0 && (r.costPico ?? 0) > 0, 'an orphan is charged its input');
      }
    } finally {
      await gateway.close();
    }
  });
});
