// The stand-in HTTP server: routing, auth/validation, scenario selection and the SSE pump, on raw node:http.
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as A from './anthropic.js';
import * as O from './openai.js';
import {
  estimateInputTokens,
  parseScenario,
  planReply,
  type RecordedRequest,
  type ReplyScenario,
  randomId,
  type Scenario,
} from './scenario.js';

export interface Standin {
  url: string;
  port: number;
  requests: RecordedRequest[];
  enqueue(...s: Scenario[]): void;
  setDefault(s: Scenario): void;
  reset(): void;
  close(): Promise<void>;
}

type Provider = 'openai' | 'anthropic';
type Res = ServerResponse;
type Body = Record<string, unknown>;
const DEFAULT: ReplyScenario = { kind: 'reply' };
const isObj = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const gone = (res: Res) => !res.socket || res.socket.destroyed;
const newRid = (p: Provider) => (p === 'openai' ? randomId('req_', 32) : randomId('req_011C', 20));
const ridHeader = (p: Provider) => (p === 'openai' ? 'x-request-id' : 'request-id');

function sendJson(res: Res, status: number, p: Provider, body: string, rid = newRid(p), retryAfter?: string) {
  if (gone(res)) return;
  const h: Record<string, string | number> = {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    [ridHeader(p)]: rid,
  };
  if (retryAfter !== undefined) h['retry-after'] = retryAfter;
  res.writeHead(status, STATUS_CODES[status] ?? (status === 529 ? 'Overloaded' : 'Unknown'), h);
  res.end(body);
}

type OErr = Parameters<typeof O.openaiError>[1];
const oFail = (res: Res, status: number, e: OErr, retryAfter?: string) =>
  sendJson(res, status, 'openai', O.openaiError(status, e), undefined, retryAfter);
function aFail(res: Res, status: number, type?: string, message?: string, retryAfter?: string) {
  const rid = newRid('anthropic');
  sendJson(res, status, 'anthropic', A.anthropicError(status, rid, type, message), rid, retryAfter);
}

/** Destroy the socket only once everything written so far has reached the kernel (a mid-stream disconnect). */
function cut(res: Res) {
  const sock = res.socket;
  if (sock) sock.write('', () => sock.destroy());
}

/** A delay that ends early when the connection closes, so close() never waits on a pending timer. */
function sleep(ms: number, res: Res): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.once('close', done);
  });
}

const SSE_HEAD = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
function sseStart(res: Res, p: Provider, n: number) {
  res.writeHead(200, { ...SSE_HEAD, [ridHeader(p)]: newRid(p) });
  if (n === 0) res.flushHeaders(); // a drop before any event still sends the 200 first
}

/** Write SSE events one res.write each; drop < 0 means finish normally. Async only when a delay asks for it. */
function pump(res: Res, p: Provider, events: string[], firstDelay: number, chunkDelay: number, drop: number) {
  const n = drop >= 0 ? Math.min(drop, events.length) : events.length;
  if (firstDelay > 0 || chunkDelay > 0) return void pumpSlow(res, p, events, n, firstDelay, chunkDelay, drop);
  sseStart(res, p, n);
  for (let i = 0; i < n; i++) res.write(events[i]!);
  if (drop >= 0) cut(res);
  else res.end();
}

async function pumpSlow(
  res: Res,
  p: Provider,
  ev: string[],
  n: number,
  first: number,
  gap: number,
  drop: number,
) {
  if (first > 0) await sleep(first, res);
  if (gone(res)) return;
  sseStart(res, p, n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && gap > 0) await sleep(gap, res);
    if (gone(res)) return;
    res.write(ev[i]!);
  }
  if (drop >= 0) cut(res);
  else res.end();
}

/** A reply scenario for a non-stream request: optional drop (no response at all) or first-byte delay. */
function replyJson(res: Res, p: Provider, s: ReplyScenario, body: string) {
  if (s.dropAfterEvents !== undefined) return void res.socket?.destroy();
  if (s.firstByteDelayMs) void sleep(s.firstByteDelayMs, res).then(() => sendJson(res, 200, p, body));
  else sendJson(res, 200, p, body);
}

const BEARER = /^Bearer \S/;
const SAMPLING = ['temperature', 'top_p', 'top_k'];
/** Anthropic takes `x-api-key` or, since API version 2026-10-21 (SDK >= 1.0), `Authorization: Bearer`. */
function anthropicKey(h: IncomingMessage['headers']): boolean {
  const k = h['x-api-key'];
  return (typeof k === 'string' && k !== '') || BEARER.test(h.authorization ?? '');
}
const NO_KEY =
  "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
const BAD_JSON =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
const BAD_HEADER = 'x-standin-scenario header is not a valid Scenario JSON';
const missing = (param: string): OErr => ({
  message: `Missing required parameter: '${param}'.`,
  param,
  code: 'missing_required_parameter',
});

class Impl {
  queue: Scenario[] = [];
  fallback: Scenario = DEFAULT;
  readonly requests: RecordedRequest[] = [];
  constructor(readonly record: boolean) {}

  onRequest = (req: IncomingMessage, res: Res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
      this.dispatch(req, res, raw);
    });
  };

  dispatch(req: IncomingMessage, res: Res, raw: string) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    let body: unknown;
    let bad = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        bad = true;
      }
    }
    if (this.record) this.requests.push({ method, path: url, headers: req.headers, rawBody: raw, body });
    const h = req.headers;
    // SDK >= 1.0 authenticates with a Bearer token, so the version header is what marks an Anthropic client.
    const anthropicStyle =
      path.startsWith('/v1/messages') || h['anthropic-version'] !== undefined || 'x-api-key' in h;
    if (method === 'POST' && path === '/v1/chat/completions') return this.openai(req, res, body, bad);
    if (method === 'POST' && path === '/v1/messages') return this.anthropic(req, res, body, bad, false);
    if (method === 'POST' && path === '/v1/messages/count_tokens')
      return this.anthropic(req, res, body, bad, true);
    if (method === 'GET' && path === '/v1/models') {
      if (anthropicStyle)
        return anthropicKey(h) ? sendJson(res, 200, 'anthropic', A.MODELS_JSON) : aFail(res, 401);
      return BEARER.test(h.authorization ?? '')
        ? sendJson(res, 200, 'openai', O.MODELS_JSON)
        : oFail(res, 401, {});
    }
    if (anthropicStyle) return aFail(res, 404, 'not_found_error', 'Not Found');
    oFail(res, 404, { message: `Invalid URL (${method} ${path})`, code: null });
  }

  /** Queue first, then the per-request header, then the default; undefined = unusable header. */
  next(req: IncomingMessage): Scenario | undefined {
    const queued = this.queue.shift();
    if (queued) return queued;
    const h = req.headers['x-standin-scenario'];
    return typeof h === 'string' ? parseScenario(h) : this.fallback;
  }

  openai(req: IncomingMessage, res: Res, body: unknown, bad: boolean) {
    if (!BEARER.test(req.headers.authorization ?? ''))
      return oFail(res, 401, { message: NO_KEY, code: null });
    if (bad || !isObj(body)) return oFail(res, 400, { message: BAD_JSON, code: null });
    if (typeof body.model !== 'string' || body.model === '') return oFail(res, 400, missing('model'));
    if (!Array.isArray(body.messages)) return oFail(res, 400, missing('messages'));
    const stream = body.stream === true;
    if (!stream && body.stream_options != null) {
      const message = "The 'stream_options' parameter is only allowed when 'stream' is enabled.";
      return oFail(res, 400, { message, param: 'stream_options', code: null });
    }
    const s = this.next(req);
    if (!s) return oFail(res, 400, { message: BAD_HEADER, code: null });
    if (s.kind === 'error')
      return oFail(res, s.status, { type: s.type, code: s.code, message: s.message }, s.retryAfter);
    const estimate = estimateInputTokens(body.messages);
    const so = body.stream_options;
    const includeUsage = isObj(so) && so.include_usage === true;
    if (s.kind === 'stream-error') {
      if (!stream) return oFail(res, 500, { type: s.type ?? 'server_error', message: s.message });
      const plan = planReply(DEFAULT, body.model, 'openai');
      const events = O.completionStream(plan, O.openaiUsage(undefined, estimate, plan), includeUsage);
      const cutAt = events.slice(0, s.afterEvents);
      cutAt.push(O.openaiStreamError(s.type, s.message));
      return pump(res, 'openai', cutAt, 0, 0, -1);
    }
    const plan = planReply(s, body.model, 'openai');
    const usage = s.omitUsage ? null : O.openaiUsage(s.usage, estimate, plan);
    if (!stream) return replyJson(res, 'openai', s, O.completionJson(plan, usage));
    const events = O.completionStream(plan, usage, includeUsage);
    pump(res, 'openai', events, s.firstByteDelayMs ?? 0, s.chunkDelayMs ?? 0, s.dropAfterEvents ?? -1);
  }

  anthropic(req: IncomingMessage, res: Res, body: unknown, bad: boolean, count: boolean) {
    const h = req.headers;
    if (!anthropicKey(h)) return aFail(res, 401, 'authentication_error', 'x-api-key header is required');
    const version = h['anthropic-version'];
    if (typeof version !== 'string' || version === '') {
      return aFail(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    if (bad || !isObj(body))
      return aFail(res, 400, 'invalid_request_error', 'Request body is not valid JSON.');
    if (typeof body.model !== 'string' || body.model === '')
      return aFail(res, 400, undefined, 'model: Field required');
    if (!Array.isArray(body.messages)) return aFail(res, 400, undefined, 'messages: Field required');
    const estimate = estimateInputTokens(body.messages, body.system);
    if (count) return sendJson(res, 200, 'anthropic', `{"input_tokens":${estimate}}`);
    if (typeof body.max_tokens !== 'number') return aFail(res, 400, undefined, 'max_tokens: Field required');
    // API version 2026-10-21 (what SDK >= 1.0 sends) removed the sampling parameters: any value is a 400.
    const sampling = version >= '2026-10-21' && SAMPLING.find((k) => k in body);
    if (sampling) return aFail(res, 400, undefined, `${sampling}: Extra inputs are not permitted`);
    const stream = body.stream === true;
    const s = this.next(req);
    if (!s) return aFail(res, 400, undefined, BAD_HEADER);
    if (s.kind === 'error') return aFail(res, s.status, s.type, s.message, s.retryAfter);
    if (s.kind === 'stream-error') {
      const type = s.type ?? 'overloaded_error';
      if (!stream) return aFail(res, A.statusForType(type), type, s.message);
      const plan = planReply(DEFAULT, body.model, 'anthropic');
      const cutAt = A.messageStream(plan, A.anthropicUsage(undefined, estimate, plan)).slice(
        0,
        s.afterEvents,
      );
      cutAt.push(A.anthropicStreamError(type, s.message));
      return pump(res, 'anthropic', cutAt, 0, 0, -1);
    }
    const plan = planReply(s, body.model, 'anthropic');
    const usage = A.anthropicUsage(s.usage, estimate, plan);
    if (!stream) return replyJson(res, 'anthropic', s, A.messageJson(plan, usage));
    const events = A.messageStream(plan, usage);
    pump(res, 'anthropic', events, s.firstByteDelayMs ?? 0, s.chunkDelayMs ?? 0, s.dropAfterEvents ?? -1);
  }
}

export function startStandin(
  opts: { port?: number; host?: string; record?: boolean } = {},
): Promise<Standin> {
  const impl = new Impl(opts.record ?? true);
  const server = createServer(impl.onRequest);
  const host = opts.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        requests: impl.requests,
        enqueue: (...s) => void impl.queue.push(...s),
        setDefault: (s) => {
          impl.fallback = s;
        },
        reset: () => {
          impl.queue.length = 0;
          impl.requests.length = 0; // in place, so references to `requests` stay live
          impl.fallback = DEFAULT;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
