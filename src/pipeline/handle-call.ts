import type { IncomingMessage, ServerResponse } from 'node:http';
import { newRequestId } from '../util/ids.js';
import { GatewayError } from '../wire/errors.js';
import { parseJsonObject } from '../wire/json.js';
import type { WireProtocol } from '../wire/protocol.js';
import type { CallContext, GatewayDeps, Identity } from './context.js';
import { forward } from './forward.js';
import { identify } from './identify.js';
import { relayJson } from './relay-json.js';
import { relayStream } from './relay-stream.js';
import { route } from './route.js';
import { recordRejected } from './settle.js';

/**
 * The request path, one stage after another: identify → parse → route → forward → relay (meter + settle).
 * Admission (budgets, rate limits) slots in after identify; caching before forward.
 */
export async function handleCall(
  deps: GatewayDeps,
  protocol: WireProtocol,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const t0 = performance.now();
  const startedAt = deps.clock.now();
  const id = newRequestId(startedAt);
  let identity: Identity | undefined;
  let modelRequested: string | undefined;
  let provider: string | undefined;
  try {
    identity = await identify(deps.keys, req.headers);
    const body = parseJsonObject(rawBody);
    const { model, stream } = protocol.readRequest(body);
    modelRequested = model;
    const target = route(deps.registry, protocol, model);
    provider = target.provider.id;
    const ctx: CallContext = {
      id,
      startedAt,
      t0,
      protocol,
      identity,
      clientHeaders: req.headers,
      body,
      rawBody,
      modelRequested: model,
      stream,
      target,
      injectedUsage: false,
    };
    const upstream = await forward(deps.dispatcher, ctx);
    const isSse = String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (stream && isSse && upstream.statusCode < 400) await relayStream(deps, ctx, upstream, res);
    else await relayJson(deps, ctx, upstream, res);
  } catch (e) {
    const err = e instanceof GatewayError ? e : new GatewayError('internal_error', 'Internal gateway error');
    if (!(e instanceof GatewayError)) deps.log('internal error', { id, error: String(e) });
    if (identity)
      await recordRejected(
        deps.writer,
        { id, startedAt, t0, protocol, identity, modelRequested, provider },
        err.status,
        err.code,
      );
    sendError(res, protocol, err, id);
  }
}

export function sendError(res: ServerResponse, protocol: WireProtocol, err: GatewayError, id?: string): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end(protocol.renderStreamError(err));
    return;
  }
  const r = protocol.renderError(err);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (id) headers['x-margin-request-id'] = id;
  res.writeHead(r.status, headers);
  res.end(r.body);
}
