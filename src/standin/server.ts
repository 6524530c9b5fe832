// The stand-in HTTP server: routing, scenario selection and the SSE pump, on raw node:http.
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as A from './anthropic.js';
import * as O from './openai.js';
import {
  type Cut,
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
const DEFAULT: ReplyScenario = { kind: 'reply' };
const BAD_HEADER = 'x-standin-scenario header is not a valid Scenario JSON';
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

const oFail = (res: Res, status: number, e: O.OpenAIErrorFields, retryAfter?: string) =>
  sendJson(res, status, 'openai', O.openaiError(status, e), undefined, retryAfter);
function aFail(res: Res, status: number, type?: string, message?: string, retryAfter?: string) {
  const rid = newRid('anthropic'); // the body repeats the request-id header
  sendJson(res, status, 'anthropic', A.anthropicError(status, rid, type, message), rid, retryAfter);
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

type Ending = 'finish' | 'destroy' | Cut['how'];

/**
 * Write SSE events one res.write each, then finish the response, or break it: `destroy` the socket,
 * `reset` it (TCP RST), `stall` (write nothing more) or `end` it cleanly mid-answer.
 */
async function pump(res: Res, p: Provider, events: string[], first = 0, gap = 0, ending: Ending = 'finish') {
  if (first > 0) await sleep(first, res);
  if (gone(res)) return;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    [ridHeader(p)]: newRid(p),
  });
  if (events.length === 0) res.flushHeaders(); // a drop before any event still sends the 200 first
  for (let i = 0; i < events.length; i++) {
    if (i > 0 && gap > 0) {
      await sleep(gap, res);
      if (gone(res)) return;
    }
    res.write(events[i]!);
  }
  finishAs(res, ending);
}

function finishAs(res: Res, ending: Ending) {
  if (ending === 'finish' || ending === 'end') return void res.end();
  if (ending === 'stall') return;
  // Cut only once everything written so far has reached the kernel, so the client sees all of it.
  const sock = res.socket;
  sock?.write('', () => (ending === 'reset' ? sock.resetAndDestroy() : sock.destroy()));
}

/** The events a stream scenario sends: a malformed one spliced in, then cut short where it says. */
function shapeEvents(s: ReplyScenario, events: string[]): [string[], Ending] {
  let out = events;
  if (s.malformedAfterEvents !== undefined) {
    const at = s.malformedAfterEvents;
    out = [...out.slice(0, at), MALFORMED, ...out.slice(at)];
  }
  if (s.cut) {
    const n = s.cut.events ?? 0;
    const partial = (out[n] ?? '').slice(0, s.cut.bytes ?? 0);
    return [[...out.slice(0, n), ...(partial ? [partial] : [])], s.cut.how];
  }
  if (s.dropAfterEvents !== undefined) return [out.slice(0, s.dropAfterEvents), 'destroy'];
  return [out, 'finish'];
}

// What a proxy in front of a provider sends when it fails: a page of HTML where a JSON event belongs.
const MALFORMED = 'data: <html><body><h1>502 Bad Gateway</h1></body></html>\n\n';

/** A JSON reply: honours the first-byte delay; a drop means no response at all; a cut breaks the body. */
async function replyJson(res: Res, p: Provider, s: ReplyScenario, body: string) {
  if (s.resetBeforeHeaders) return void res.socket?.resetAndDestroy();
  if (s.dropAfterEvents !== undefined) return void res.socket?.destroy();
  if (s.firstByteDelayMs) await sleep(s.firstByteDelayMs, res);
  if (!s.cut) return sendJson(res, 200, p, body);
  if (gone(res)) return;
  const bytes = Buffer.from(body);
  // A clean end sends what it has as a whole (chunked) answer; otherwise the length promises all of it.
  const length = s.cut.how === 'end' ? {} : { 'content-length': bytes.length };
  res.writeHead(200, { 'content-type': 'application/json', [ridHeader(p)]: newRid(p), ...length });
  res.write(bytes.subarray(0, s.cut.bytes ?? 0));
  finishAs(res, s.cut.how);
}

function replySse(res: Res, p: Provider, s: ReplyScenario, events: string[]) {
  if (s.resetBeforeHeaders) return void res.socket?.resetAndDestroy();
  const [shaped, ending] = shapeEvents(s, events);
  void pump(res, p, shaped, s.firstByteDelayMs, s.chunkDelayMs, ending);
}

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
      try {
        this.dispatch(req, res, raw);
      } catch (err) {
        // A malformed scenario (e.g. from the header) must fail this request, not crash the stand-in.
        if (res.headersSent) res.destroy();
        else oFail(res, 500, { message: `standin: ${(err as Error).message}`, type: 'server_error' });
      }
    });
  };

  dispatch(req: IncomingMessage, res: Res, raw: string) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const h = req.headers;
    let body: unknown;
    let bad = false;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        bad = true;
      }
    }
    if (this.record) this.requests.push({ method, path: url, headers: h, rawBody: raw, body });
    if (method === 'POST' && path === '/v1/chat/completions') return this.openai(req, res, body, bad);
    if (method === 'POST' && path === '/v1/messages') return this.anthropic(req, res, body, bad, false);
    if (method === 'POST' && path === '/v1/messages/count_tokens')
      return this.anthropic(req, res, body, bad, true);
    // SDK >= 1.0 authenticates with a Bearer token, so the version header is what marks an Anthropic client.
    const anthropic =
      path.startsWith('/v1/messages') || h['anthropic-version'] !== undefined || 'x-api-key' in h;
    if (method === 'GET' && path === '/v1/models') {
      if (anthropic)
        return A.anthropicKey(h) ? sendJson(res, 200, 'anthropic', A.MODELS_JSON) : aFail(res, 401);
      return O.BEARER.test(h.authorization ?? '')
        ? sendJson(res, 200, 'openai', O.MODELS_JSON)
        : oFail(res, 401, {});
    }
    if (anthropic) return aFail(res, 404, 'not_found_error', 'Not Found');
    oFail(res, 404, { message: `Invalid URL (${method} ${path})`, code: null });
  }

  /** Queue first, then the per-request header, then the default; undefined = unusable header. */
  next(req: IncomingMessage): Scenario | undefined {
    const queued = this.queue.shift();
    if (queued) return queued;
    const h = req.headers['x-standin-scenario'];
    return typeof h === 'string' ? parseScenario(h) : this.fallback;
  }

  openai(req: IncomingMessage, res: Res, raw: unknown, bad: boolean) {
    const no = O.openaiReject(req.headers, raw, bad);
    if (no) return oFail(res, no[0], no[1]);
    const body = raw as O.ChatBody;
    const s = this.next(req);
    if (!s) return oFail(res, 400, { message: BAD_HEADER, code: null });
    if (s.kind === 'error') return oFail(res, s.status, s, s.retryAfter);
    const stream = body.stream === true;
    const estimate = estimateInputTokens(body.messages);
    const so = body.stream_options as { include_usage?: unknown } | null | undefined;
    const includeUsage = so?.include_usage === true;
    if (s.kind === 'stream-error') {
      if (!stream) return oFail(res, 500, { type: s.type ?? 'server_error', message: s.message });
      const plan = planReply(DEFAULT, body.model, 'openai');
      const events = O.completionStream(plan, O.openaiUsage(undefined, estimate, plan), includeUsage);
      return void pump(res, 'openai', [
        ...events.slice(0, s.afterEvents),
        O.openaiStreamError(s.type, s.message, s.code ?? null),
      ]);
    }
    const plan = planReply(s, body.model, 'openai');
    const usage = s.omitUsage ? null : O.openaiUsage(s.usage, estimate, plan);
    if (stream) return replySse(res, 'openai', s, O.completionStream(plan, usage, includeUsage));
    void replyJson(res, 'openai', s, O.completionJson(plan, usage));
  }

  anthropic(req: IncomingMessage, res: Res, raw: unknown, bad: boolean, count: boolean) {
    const no = A.anthropicReject(req.headers, raw, bad, count);
    if (no) return aFail(res, ...no);
    const body = raw as A.MessagesBody;
    const estimate = estimateInputTokens(body.messages, body.system);
    if (count) return sendJson(res, 200, 'anthropic', `{"input_tokens":${estimate}}`);
    const s = this.next(req);
    if (!s) return aFail(res, 400, undefined, BAD_HEADER);
    if (s.kind === 'error') return aFail(res, s.status, s.type, s.message, s.retryAfter);
    const stream = body.stream === true;
    if (s.kind === 'stream-error') {
      const type = s.type ?? 'overloaded_error';
      if (!stream) return aFail(res, A.statusForType(type), type, s.message);
      const plan = planReply(DEFAULT, body.model, 'anthropic');
      const events = A.messageStream(plan, A.anthropicUsage(undefined, estimate, plan));
      return void pump(res, 'anthropic', [
        ...events.slice(0, s.afterEvents),
        A.anthropicStreamError(type, s.message),
      ]);
    }
    const plan = planReply(s, body.model, 'anthropic');
    const usage = s.omitUsage ? null : A.anthropicUsage(s.usage, estimate, plan);
    if (stream) return replySse(res, 'anthropic', s, A.messageStream(plan, usage));
    void replyJson(res, 'anthropic', s, A.messageJson(plan, usage));
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
