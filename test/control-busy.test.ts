// Control writes never freeze the gateway: while another process holds the ledger's write lock, admin
// writes (plans, customers, top-ups, keys) answer 503 + retry-after within their bound, nothing changes,
// and the event loop keeps serving health checks, reads and calls. Once the lock is gone, the same
// writes succeed. Also: start-up on an unusable ledger path names the path.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SqliteStore } from '../src/ledger/sqlite/store.js';
import { type CliResult, cliEnv, ROOT, runCli } from './helpers/cli.js';
import { ADMIN_KEY, type Harness, startHarness } from './helpers/harness.js';
import { holdWriteLock, type WriteLock } from './helpers/write-lock.js';

/** The control thread's bound on waiting for the lock is 1 s; "promptly" leaves room for a busy machine. */
const PROMPT_MS = 3000;
/** Generous guard for "the event loop was never frozen": a frozen loop would take the whole lock time. */
const RESPONSIVE_MS = 1000;
/** How long the other process keeps the lock: longer than every bound above. */
const HOLD_MS = 4500;

const MSG = [{ role: 'user' as const, content: 'hello' }];

function adminFetch(h: Harness, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${h.gateway.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls /healthz until stopped; resolves with the gaps between consecutive answers. The gateway runs in
 * this process, so a frozen event loop shows up as one long gap, wherever in the loop it struck.
 */
function pollHealth(h: Harness): { stop(): Promise<number[]> } {
  let polling = true;
  const gaps: number[] = [];
  const done = (async () => {
    let last = performance.now();
    while (polling) {
      const res = await fetch(`${h.gateway.url}/healthz`);
      const now = performance.now();
      gaps.push(res.status === 200 ? now - last : Number.POSITIVE_INFINITY);
      last = now;
      await sleep(25);
    }
  })();
  return {
    async stop() {
      polling = false;
      await done;
      return gaps;
    },
  };
}

describe('admin writes while another process holds the write lock', () => {
  let h: Harness;
  let spareKeyId: string;

  before(async () => {
    h = await startHarness();
    const created = await adminFetch(h, 'POST', '/keys', { customer: 'spare' });
    assert.equal(created.status, 201);
    spareKeyId = ((await created.json()) as { id: string }).id;
  });
  after(() => h.close());

  /** The five control writes of the admin API, each a fresh request. */
  const writes = (): Record<string, () => Promise<Response>> => ({
    'PUT /plans': () =>
      adminFetch(h, 'PUT', '/plans', {
        plans: { pro: { priceUsd: 49, budget: { unit: 'usd', amount: '5' } } },
      }),
    'PUT /customers/bolt': () => adminFetch(h, 'PUT', '/customers/bolt', { cycle_day: 3 }),
    'POST /wallets/acme/top-ups': () => adminFetch(h, 'POST', '/wallets/acme/top-ups', { amount_usd: '7.5' }),
    'POST /keys': () => adminFetch(h, 'POST', '/keys', { customer: 'bolt', name: 'busy-test' }),
    'DELETE /keys/:id': () => adminFetch(h, 'DELETE', `/keys/${spareKeyId}`),
  });

  test('answer 503 with retry-after promptly; health and request-path reads keep answering; nothing changed', async () => {
    const lock: WriteLock = await holdWriteLock(h.db);
    const lockedAt = performance.now();
    const poller = pollHealth(h);
    let health: number[] = [];
    try {
      const results = await Promise.all(
        Object.entries(writes()).map(async ([name, send]) => {
          const { value: res, ms } = await timed(send);
          return { name, res, ms, body: (await res.json()) as { error?: Record<string, unknown> } };
        }),
      );
      for (const { name, res, ms, body } of results) {
        assert.equal(res.status, 503, `${name}: ${JSON.stringify(body)}`);
        assert.equal(res.headers.get('retry-after'), '1', name);
        assert.match(res.headers.get('content-type') ?? '', /application\/json/, name);
        assert.equal(body.error?.code, 'store_busy', name);
        assert.equal(body.error?.status, 503, name);
        assert.match(String(body.error?.message), /another process holds the write lock/, name);
        assert.ok(ms < PROMPT_MS, `${name} answered in ${Math.round(ms)} ms`);
      }

      // What the request path reads — key lookup, the control revision poll, plans, usage — never waits
      // for the writer (WAL): the customer's own usage endpoint goes through all of them.
      const usage = await timed(() =>
        fetch(`${h.gateway.url}/v1/margin/usage`, { headers: { authorization: `Bearer ${h.key}` } }),
      );
      assert.equal(usage.value.status, 200);
      assert.ok(usage.ms < RESPONSIVE_MS, `GET /v1/margin/usage took ${Math.round(usage.ms)} ms`);
      const keys = await timed(() => adminFetch(h, 'GET', '/keys?include_revoked=true'));
      assert.equal(keys.value.status, 200);
      assert.ok(keys.ms < RESPONSIVE_MS, `GET /admin/v1/keys took ${Math.round(keys.ms)} ms`);
      const listed = ((await keys.value.json()) as { data: { id: string; revoked_at: string | null }[] })
        .data;
      assert.equal(
        listed.find((k) => k.id === spareKeyId)?.revoked_at,
        null,
        'the refused revoke changed nothing',
      );
      assert.equal(listed.length, 2, 'the refused key create added nothing');
      assert.ok(
        performance.now() - lockedAt < HOLD_MS,
        'all of this happened while the lock was still held (else the test proves nothing)',
      );
    } finally {
      health = await poller.stop();
      await lock.release();
    }
    assert.ok(health.length >= 5, `health was polled ${health.length} times`);
    const slowest = Math.max(...health);
    assert.ok(slowest < RESPONSIVE_MS, `longest gap between /healthz answers: ${Math.round(slowest)} ms`);

    const plans = (await (await adminFetch(h, 'GET', '/plans')).json()) as { data: { name: string }[] };
    assert.deepEqual(
      plans.data.map((p) => p.name),
      [],
      'the refused plans PUT left no plan',
    );
    const bolt = await adminFetch(h, 'GET', '/customers/bolt');
    assert.equal(bolt.status, 404, 'the refused customer PUT created nobody');
    const wallet = (await (await adminFetch(h, 'GET', '/wallets/acme')).json()) as { balance_usd: string };
    assert.equal(wallet.balance_usd, '0', 'the refused top-up added nothing');
  });

  // The request journal holds its row while the ledger is locked: the answer does not wait for SQLite.
  test('a chat call through the SDK keeps answering while the lock is held', async () => {
    const lock = await holdWriteLock(h.db);
    const lockedAt = performance.now();
    const released = sleep(HOLD_MS).then(() => lock.release());
    try {
      h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 12, outputTokens: 3 } });
      const { value, ms } = await timed(() =>
        h.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: MSG }),
      );
      assert.equal(value.object, 'chat.completion');
      assert.ok(ms < RESPONSIVE_MS, `the call took ${Math.round(ms)} ms`);
      assert.ok(performance.now() - lockedAt < HOLD_MS, 'answered while the lock was still held');
    } finally {
      await released;
    }
    const row = await h.lastRow();
    assert.equal(row.inputTokens, 12, 'and its row reached the ledger once the lock was gone');
  });

  test('after the lock is gone the same writes succeed', async () => {
    const done: Record<string, number> = {};
    for (const [name, send] of Object.entries(writes())) done[name] = (await send()).status;
    assert.deepEqual(done, {
      'PUT /plans': 200,
      'PUT /customers/bolt': 200,
      'POST /wallets/acme/top-ups': 201,
      'POST /keys': 201,
      'DELETE /keys/:id': 200,
    });
    const plans = (await (await adminFetch(h, 'GET', '/plans')).json()) as { data: { name: string }[] };
    assert.deepEqual(
      plans.data.map((p) => p.name),
      ['pro'],
    );
    const bolt = (await (await adminFetch(h, 'GET', '/customers/bolt')).json()) as { cycleDay: number };
    assert.equal(bolt.cycleDay, 3);
    const wallet = (await (await adminFetch(h, 'GET', '/wallets/acme')).json()) as { balance_usd: string };
    assert.equal(wallet.balance_usd, '7.5');
    const keys = (await (await adminFetch(h, 'GET', '/keys?include_revoked=true')).json()) as {
      data: { id: string; revoked_at: string | null; name: string | null }[];
    };
    assert.notEqual(keys.data.find((k) => k.id === spareKeyId)?.revoked_at, null, 'revoked now');
    assert.ok(
      keys.data.some((k) => k.name === 'busy-test'),
      'created now',
    );
  });
});

describe('webhook delivery while another process holds the write lock', () => {
  test('the outbox poll fails fast instead of freezing the event loop', async () => {
    const h = await startHarness({
      env: {
        MARGIN_WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
        MARGIN_WEBHOOK_SECRET: `whsec_${Buffer.from('a-secret-for-the-busy-test-32byt').toString('base64')}`,
      },
    });
    try {
      const lock = await holdWriteLock(h.db);
      const poller = pollHealth(h);
      let health: number[] = [];
      try {
        await sleep(2000); // the delivery poll runs every 500 ms: a few of them fall inside this window
      } finally {
        health = await poller.stop();
        await lock.release();
      }
      assert.ok(health.length >= 5, `health was polled ${health.length} times`);
      const slowest = Math.max(...health);
      assert.ok(slowest < RESPONSIVE_MS, `longest gap between /healthz answers: ${Math.round(slowest)} ms`);
    } finally {
      await h.close();
    }
  });
});

describe('a CLI write against a locked ledger', () => {
  test('fails with a clear "busy" line naming the file, no stack trace, and changes nothing', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'margin-busy-')), 'ledger.db');
    await new SqliteStore(db).close();
    const lock = await holdWriteLock(db);
    let r: CliResult;
    try {
      r = await runCli(['customers', 'set-plan', 'acme', 'none', '--db', db]);
    } finally {
      await lock.release();
    }
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^margin: store busy: another process holds the write lock on /);
    assert.ok(r.stderr.includes(db), r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    const list = await runCli(['customers', 'list', '--json', '--db', db]);
    assert.deepEqual(JSON.parse(list.stdout), [], 'nothing was written');
    const retry = await runCli(['customers', 'set-plan', 'acme', 'none', '--db', db]);
    assert.equal(retry.code, 0, retry.stderr);
  });
});

describe('start-up on an unusable ledger path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'margin-badpath-'));

  /** `margin <args>`; as an unprivileged user when run as root, so file permissions apply. */
  function cliAs(args: string[]): Promise<CliResult> {
    const root = process.getuid?.() === 0;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
        cwd: ROOT,
        env: cliEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(root ? { uid: 65534, gid: 65534 } : {}),
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  function assertNamesPath(r: CliResult, path: string, cause: RegExp): void {
    assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing was served or printed');
    assert.ok(r.stderr.startsWith('margin: db: cannot open the ledger '), r.stderr);
    assert.ok(r.stderr.includes(path), `names ${path}: ${r.stderr}`);
    assert.match(r.stderr, cause);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }

  test('a directory in place of the file', async () => {
    const path = join(dir, 'is-a-dir.db');
    mkdirSync(path);
    assertNamesPath(await runCli(['serve', '--port', '0', '--db', path]), path, /path is a directory/);
  });

  test('a parent of the path that is a file', async () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'not a directory');
    const path = join(file, 'ledger.db');
    assertNamesPath(await runCli(['keys', 'list', '--db', path]), path, /a parent of the path is a file/);
  });

  test('a read-only ledger file', async () => {
    const sub = join(dir, 'ro');
    mkdirSync(sub);
    const path = join(sub, 'ledger.db');
    await new SqliteStore(path).close();
    chmodSync(dir, 0o755);
    chmodSync(sub, 0o777);
    chmodSync(path, 0o444);
    assertNamesPath(await cliAs(['serve', '--port', '0', '--db', path]), path, /permission/);
    const write = await cliAs(['keys', 'create', '--customer', 'acme', '--db', path]);
    assert.equal(write.code, 1, write.stderr);
    assert.ok(write.stderr.includes(`the ledger ${path} is read-only`), write.stderr);
  });
});
