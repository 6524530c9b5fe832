import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../wire/errors.js';
import type { WireProtocol } from '../wire/protocol.js';
import { admit } from './admit.js';
import type { GatewayDeps } from './context.js';
import { forward } from './forward.js';
import { journalBegin } from './journal-begin.js';
import { newDraft, prepareCall } from './prepare-call.js';
import { relayJson } from './relay-json.js';
import { relayStream } from './relay-stream.js';
import { recordRejected } from './settle.js';

/**
 * The request path, one stage after another: identify → parse → route → admit → journal → forward → relay (meter +
 * settle). Caching slots in before forward.
 */
export async function handleCall(
  deps: GatewayDeps,
  protocol: WireProtocol,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const draft = newDraft(deps, protocol);
  try {
    const ctx = await prepareCall(deps, draft, req, rawBody);
    draft.admission = await admit(deps, ctx);
    journalBegin(deps, ctx);
    const upstream = await forward(deps.dispatcher, ctx);
    const isSse = String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (ctx.stream && isSse && upstream.statusCode < 400) await relayStream(deps, ctx, upstream, res);
    else await relayJson(deps, ctx, upstream, res);
  } catch (e) {
    const err = e instanceof GatewayError ? e : new GatewayError('internal_error', 'Internal gateway error');
    if (!(e instanceof GatewayError)) deps.log('internal error', { id: draft.id, error: String(e) });
    if (draft.identity)
      await recordRejected(deps, { ...draft, identity: draft.identity }, err.status, err.code);
    const customer = draft.identity?.customer;
    sendError(res, protocol, err, draft.id, customer ? deps.limits.quotaHeaders(customer) : undefined);
  }
}

export function sendError(
  res: ServerResponse,
  protocol: WireProtocol,
  err: GatewayError,
  id?: string,
  extraHeaders?: Record<string, string>,
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end(protocol.renderStreamError(err));
    return;
  }
  const r = protocol.renderError(err);
  const headers: Record<string, string> = { ...extraHeaders, 'content-type': 'application/json' };
  if (id) headers['x-margin-request-id'] = id;
  if (err.retryAfterSec !== undefined) headers['retry-after'] = String(err.retryAfterSec);
  res.writeHead(r.status, headers);
  res.end(r.body);
}
