import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../wire/errors.js';
import type { WireProtocol } from '../wire/protocol.js';
import { admit } from './admit.js';
import { type ClientLink, clientClosed, watchClient } from './client.js';
import type { CallContext, GatewayDeps } from './context.js';
import { forward } from './forward.js';
import { journalBegin } from './journal-begin.js';
import { meterEstimated, unbilled } from './meter.js';
import { newDraft, prepareCall } from './prepare-call.js';
import { record } from './record.js';
import { relayJson } from './relay-json.js';
import { relayStream } from './relay-stream.js';
import { recordRejected } from './settle.js';

/**
 * The request path, one stage after another: identify → parse → route → admit → journal → forward → relay
 * (meter + settle). Caching slots in before forward. Every call that got as far as a known caller settles
 * exactly once, whatever its client does and whenever it does it: the relays settle what reached them, this
 * function everything that failed before.
 */
export async function handleCall(
  deps: GatewayDeps,
  protocol: WireProtocol,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const draft = newDraft(deps, protocol);
  const client = watchClient(req, res);
  let ctx: CallContext | undefined;
  let sent = false;
  try {
    ctx = await prepareCall(deps, draft, req, rawBody);
    draft.admission = await admit(deps, ctx, client);
    // A client that left while its call was prepared or queued is not worth a model's time.
    if (client.gone()) throw clientClosed();
    journalBegin(deps, ctx);
    sent = true;
    const upstream = await forward(deps.dispatcher, ctx, undefined, client);
    const isSse = String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream');
    if (ctx.stream && isSse && upstream.statusCode < 400) await relayStream(deps, ctx, upstream, res, client);
    else await relayJson(deps, ctx, upstream, res, client);
  } catch (e) {
    const err = e instanceof GatewayError ? e : new GatewayError('internal_error', 'Internal gateway error');
    if (!(e instanceof GatewayError)) deps.log('internal error', { id: draft.id, error: String(e) });
    if (ctx) await recordFailure(deps, ctx, err, sent, client);
    else if (draft.identity)
      await recordRejected(deps, { ...draft, identity: draft.identity }, err.status, err.code);
    const customer = draft.identity?.customer;
    sendError(res, protocol, err, draft.id, customer ? deps.limits.quotaHeaders(customer) : undefined);
  } finally {
    client.dispose();
  }
}

/**
 * A call that failed before a relay settled it. Once the request went upstream and the client left on its
 * own, the model may have read the prompt: its input is charged, estimated. Upstream failures cost nothing.
 */
async function recordFailure(
  deps: GatewayDeps,
  ctx: CallContext,
  err: GatewayError,
  sent: boolean,
  client: ClientLink,
): Promise<void> {
  if (ctx.settled) return;
  const left = err.code === 'client_closed' || client.gone();
  const metered = sent && left ? await meterEstimated(deps.catalog, ctx, undefined, []) : unbilled();
  await record(deps, ctx, metered, {
    status: left ? 499 : err.status,
    errorCode: left ? 'client_closed' : err.code,
    streamed: false,
    ttftMs: null,
  });
}

export function sendError(
  res: ServerResponse,
  protocol: WireProtocol,
  err: GatewayError,
  id?: string,
  extraHeaders?: Record<string, string>,
): void {
  if (res.destroyed) return;
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
