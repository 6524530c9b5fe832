// The request path's lean parts: the upstream dispatch handler (whole body, streamed chunks with
// backpressure, cancellation), the upstream header list, the client watch and the key-hash cache.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Agent } from 'undici';
import { hashKey } from '../src/identity/virtual-keys.js';
import { watchClient } from '../src/pipeline/client.js';
import { upstreamHeaders } from '../src/pipeline/headers.js';
import { upstreamRequest } from '../src/pipeline/upstream-request.js';

describe('upstreamRequest', () => {
  let server: Server;
  let origin = '';
  const agent = new Agent({ keepAliveTimeout: 1000 });
  /** Per path: what the test server does. */
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  let closedEarly = 0;

  before(async () => {
    server = createServer((req, res) => {
      res.on('close', () => {
        if (!res.writableFinished) closedEarly++;
      });
      req.resume();
      req.on('end', () => routes.get(req.url ?? '')?.(req, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await agent.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const call = (path: string, headers: string[] = []) =>
    upstreamRequest(agent, { origin, path, method: 'POST', headers, body: '{}' });

  test('a whole body arrives as the bytes sent, with status and headers', async () => {
    const sent = Buffer.from('{"ok":true,"text":"héllo"}');
    routes.set('/json', (req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen': String(req.headers['x-test']) });
      res.write(sent.subarray(0, 5));
      setTimeout(() => res.end(sent.subarray(5)), 5);
    });
    const r = await call('/json', ['x-test', 'one']).response;
    assert.equal(r.statusCode, 201);
    assert.equal(r.headers['x-seen'], 'one');
    assert.deepEqual(await r.body.bytes(), sent);
  });

  test('streamed chunks arrive in order; a slow reader still gets every byte', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(8000)}\n`);
    routes.set('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const p of parts) res.write(p);
      res.end();
    });
    const r = await call('/stream').response;
    const got: Buffer[] = [];
    for await (const chunk of r.body) {
      got.push(chunk);
      await new Promise((res) => setImmediate(res)); // a reader slower than the socket: backpressure
    }
    assert.equal(Buffer.concat(got).toString(), parts.join(''));
  });

  test('abort before the answer rejects the response with the reason given', async () => {
    routes.set('/never', () => {}); // never answers
    const c = call('/never');
    const reason = new Error('client left');
    setTimeout(() => c.abort(reason), 20);
    await assert.rejects(c.response, (e) => e === reason);
  });

  test('abort mid-body fails the iteration and closes the upstream connection', async () => {
    const before = closedEarly;
    routes.set('/half', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    });
    const c = call('/half');
    const r = await c.response;
    const reason = new Error('stop');
    await assert.rejects(
      (async () => {
        for await (const _ of r.body) c.abort(reason);
      })(),
      (e) => e === reason,
    );
    for (let i = 0; i < 50 && closedEarly === before; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(closedEarly, before + 1, 'the upstream saw its answer cut off');
  });

  test('an unreachable upstream rejects the response', async () => {
    const c = upstreamRequest(agent, { origin: 'http://127.0.0.1:1', path: '/', method: 'POST', body: '' });
    await assert.rejects(c.response);
  });
});

describe('upstreamHeaders', () => {
  test('client headers pass except hop-by-hop, auth and x-margin-*; provider auth wins; JSON, uncompressed', () => {
    const out = upstreamHeaders(
      {
        host: 'gw',
        authorization: 'Bearer mk_virtual',
        'anthropic-version': 'client-version',
        'anthropic-beta': 'tools',
        'x-margin-feature': 'chat',
        'content-type': 'text/plain',
        'accept-encoding': 'gzip',
        'x-list': ['a', 'b'],
      },
      { 'x-api-key': 'sk-up', 'anthropic-version': '2023-06-01' },
    );
    const pairs: string[] = [];
    for (let i = 0; i < out.length; i += 2) pairs.push(`${out[i]}: ${out[i + 1]}`);
    assert.deepEqual(pairs.sort(), [
      'accept-encoding: identity',
      'anthropic-beta: tools',
      'anthropic-version: 2023-06-01',
      'content-type: application/json',
      'x-api-key: sk-up',
      'x-list: a, b',
    ]);
  });
});

describe('watchClient', () => {
  function fakeCall() {
    const socket = { destroyed: false };
    const res = Object.assign(new EventEmitter(), { writableFinished: false, destroyed: false });
    return {
      req: { socket } as unknown as IncomingMessage,
      res,
      resAsServer: res as unknown as ServerResponse,
    };
  }

  test('onGone runs once when the client closes early, and the signal (made later) is aborted', () => {
    const { req, res, resAsServer } = fakeCall();
    const link = watchClient(req, resAsServer);
    let runs = 0;
    link.onGone(() => runs++);
    assert.equal(link.gone(), false);
    res.destroyed = true;
    res.emit('close');
    res.emit('close');
    assert.equal(runs, 1);
    assert.equal(link.gone(), true);
    assert.equal(link.signal.aborted, true);
    let late = 0;
    link.onGone(() => late++);
    assert.equal(late, 1, 'a listener added after the client left runs at once');
  });

  test('a finished answer is not a departure; dispose drops listeners', () => {
    const { req, res, resAsServer } = fakeCall();
    const link = watchClient(req, resAsServer);
    let runs = 0;
    link.onGone(() => runs++);
    res.writableFinished = true;
    res.emit('close');
    assert.equal(runs, 0);
    assert.equal(link.gone(), false);
    link.dispose();
    assert.equal(res.listenerCount('close'), 0);
  });
});

describe('hashKey', () => {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  test('is SHA-256 hex, the same on a repeat (cached) and for keys too long to cache', () => {
    const key = 'mk_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
    assert.equal(hashKey(key), sha(key));
    assert.equal(hashKey(key), sha(key));
    assert.notEqual(hashKey(`${key}x`), hashKey(key));
    const long = 'k'.repeat(10_000);
    assert.equal(hashKey(long), sha(long));
  });

  test('stays right after the cache fills and empties', () => {
    for (let i = 0; i < 5000; i++) hashKey(`mk_fill_${i}`);
    assert.equal(hashKey('mk_fill_3'), sha('mk_fill_3'));
    assert.equal(hashKey('mk_fill_4999'), sha('mk_fill_4999'));
  });
});
