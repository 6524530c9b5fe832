import { type Dispatcher, errors } from 'undici';
import { GatewayError } from '../wire/errors.js';
import { type ClientLink, clientClosed } from './client.js';
import type { CallContext } from './context.js';
import { upstreamHeaders } from './headers.js';
import { type UpstreamResponse, upstreamRequest } from './upstream-request.js';

/**
 * Stage: send the call to its provider. The client's bytes go upstream untouched unless the protocol
 * had to change the body (stream usage, model prefix). When `client` leaves, the upstream request and its
 * body are cancelled and the call fails with client_closed. Fallbacks and retries wrap this later.
 */
export async function forward(
  dispatcher: Dispatcher,
  ctx: CallContext,
  path: string = ctx.protocol.generatePath,
  client?: ClientLink,
): Promise<UpstreamResponse> {
  const { provider, model } = ctx.target;
  const prepared = ctx.protocol.prepareUpstream(ctx.body, ctx.rawBody, {
    stream: ctx.stream,
    upstreamModel: model,
  });
  ctx.injectedUsage = prepared?.injectedUsage ?? false;
  const headers = upstreamHeaders(ctx.clientHeaders, provider.authHeaders(ctx.clientHeaders));
  try {
    const { origin, pathname } = target(provider.url(path));
    const call = upstreamRequest(dispatcher, {
      origin,
      path: pathname,
      method: 'POST',
      headers,
      body: prepared ? prepared.bytes : ctx.rawBody,
      headersTimeout: provider.timeoutMs,
      bodyTimeout: provider.timeoutMs,
    });
    client?.onGone(() => call.abort(clientClosed()));
    return await call.response;
  } catch (e) {
    if (e instanceof GatewayError) throw e; // the client left: its own error
    throw upstreamFailure(provider.id, e);
  }
}

// Upstream URLs are few (a provider's base URL and a path), so each is parsed once: calling the dispatcher
// with origin and path skips undici's per-call URL parsing in its top-level request().
const targets = new Map<string, { origin: string; pathname: string }>();
function target(url: string): { origin: string; pathname: string } {
  let t = targets.get(url);
  if (!t) {
    const u = new URL(url);
    t = { origin: u.origin, pathname: `${u.pathname}${u.search}` };
    if (targets.size < 1024) targets.set(url, t);
  }
  return t;
}

const isTimeout = (e: unknown) =>
  e instanceof errors.HeadersTimeoutError || e instanceof errors.BodyTimeoutError;

/** The upstream failed before answering: no connection, a reset, or no headers in time. */
export function upstreamFailure(providerId: string, e: unknown): GatewayError {
  if (isTimeout(e)) return new GatewayError('upstream_timeout', `Upstream ${providerId} timed out`);
  const msg = e instanceof Error ? e.message : String(e);
  return new GatewayError('upstream_unreachable', `Upstream ${providerId} unreachable: ${msg}`);
}

/** The upstream failed part-way through its answer: it stalled past its timeout, or hung up. */
export function upstreamBroke(providerId: string, e: unknown): GatewayError {
  if (isTimeout(e))
    return new GatewayError('upstream_timeout', `Upstream ${providerId} stalled mid-answer past its timeout`);
  return new GatewayError(
    'upstream_disconnected',
    `Upstream ${providerId} closed the answer before it finished`,
  );
}
