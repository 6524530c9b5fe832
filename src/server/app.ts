import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { OutboxStore } from '../events/outbox-store.js';
import type { Store } from '../ledger/types.js';
import { usageReport } from '../limits/quota-view.js';
import type { GatewayDeps } from '../pipeline/context.js';
import { handleCall, sendError } from '../pipeline/handle-call.js';
import { identify } from '../pipeline/identify.js';
import { anthropicProtocol } from '../wire/anthropic/protocol.js';
import { GatewayError } from '../wire/errors.js';
import { openAIProtocol } from '../wire/openai/protocol.js';
import type { WireProtocol } from '../wire/protocol.js';
import { type AdminDeps, handleAdmin } from './admin-routes.js';
import { answerClientError } from './client-error.js';
import { listModels } from './models-route.js';
import { passthrough } from './passthrough.js';
import { readBody } from './read-body.js';
import { sendJson } from './respond.js';

export interface AppOptions {
  deps: GatewayDeps;
  store: Store;
  adminKey: string | undefined;
  maxBodyBytes: number;
  outbox: OutboxStore;
  /** Rollups and settings for the admin API's economics routes (report, simulate, recommend). */
  economics: AdminDeps['economics'];
}

/** Routes only: each path hands its request to the pipeline, the admin API or a small handler. */
export function createApp(opts: AppOptions): Server {
  const { deps } = opts;
  const admin = {
    store: opts.store,
    clock: deps.clock,
    adminKey: opts.adminKey,
    limits: deps.limits,
    outbox: opts.outbox,
    ledgerCaughtUp: () => deps.writer.caughtUp(),
    catalog: deps.catalog,
    economics: opts.economics,
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const protocol = protocolFor(path, req);
    try {
      if (req.method === 'POST' && path === '/v1/chat/completions')
        return await handleCall(deps, openAIProtocol, req, res, await readBody(req, opts.maxBodyBytes));
      if (req.method === 'POST' && path === '/v1/messages')
        return await handleCall(deps, anthropicProtocol, req, res, await readBody(req, opts.maxBodyBytes));
      if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
        const body = await readBody(req, opts.maxBodyBytes);
        return await passthrough(deps, anthropicProtocol, 'messages/count_tokens', req, res, body);
      }
      if (req.method === 'GET' && path === '/v1/models') return listModels(deps.registry, req, res);
      if (req.method === 'GET' && path === '/v1/margin/usage') {
        const { customer } = await identify(deps.keys, req.headers);
        return sendJson(res, 200, await usageReport(deps.limits, customer, deps.clock.now()));
      }
      if (req.method === 'GET' && path === '/healthz') return health(deps, res);
      if (path.startsWith('/admin/v1/')) {
        const url = URL.parse(req.url ?? '/', 'http://margin.local');
        if (!url) throw new GatewayError('invalid_request', 'URL: not a valid request target');
        const body =
          req.method === 'POST' || req.method === 'PUT' ? await readBody(req, 1024 * 1024) : Buffer.alloc(0);
        return await handleAdmin(admin, req, res, url, body);
      }
      const allowed = METHODS.get(path);
      if (allowed) {
        res.setHeader('allow', allowed);
        throw new GatewayError(
          'method_not_allowed',
          `Method ${req.method} not allowed on ${path}: use ${allowed}`,
        );
      }
      throw new GatewayError('not_found', `Unknown route ${req.method} ${clip(path)}`);
    } catch (e) {
      const err =
        e instanceof GatewayError ? e : new GatewayError('internal_error', 'Internal gateway error');
      if (!(e instanceof GatewayError)) deps.log('internal error', { path: clip(path), error: String(e) });
      sendError(res, protocol, err);
    }
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    dispatch(req, res).catch((e: unknown) => {
      deps.log('unhandled request error', { error: String(e) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.on('clientError', answerClientError);
  return server;
}

/** The one method each fixed route takes, for a 405 that says which. */
const METHODS = new Map([
  ['/v1/chat/completions', 'POST'],
  ['/v1/messages', 'POST'],
  ['/v1/messages/count_tokens', 'POST'],
  ['/v1/models', 'GET'],
  ['/v1/margin/usage', 'GET'],
  ['/healthz', 'GET'],
]);

/** Client-chosen text echoed in an error stays short. */
const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 200)}…` : s);

/** 200 while calls can be recorded durably (the ledger may lag behind the journal); 503 with the reason otherwise. */
function health(deps: GatewayDeps, res: ServerResponse): void {
  const h = deps.journal.health();
  if (!h.ok) res.setHeader('retry-after', '1');
  sendJson(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'unavailable', ...h });
}

/** Errors outside the two generation routes still come back in the shape the caller's SDK expects. */
function protocolFor(path: string, req: IncomingMessage): WireProtocol {
  if (path === '/v1/chat/completions') return openAIProtocol;
  return path.startsWith('/v1/messages') || req.headers['anthropic-version']
    ? anthropicProtocol
    : openAIProtocol;
}
