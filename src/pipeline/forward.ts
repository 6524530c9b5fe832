import { type Dispatcher, errors, request } from 'undici';
import { GatewayError } from '../wire/errors.js';
import type { CallContext } from './context.js';
import { upstreamHeaders } from './headers.js';

/**
 * Stage: send the call to its provider. The client's bytes go upstream untouched unless the protocol
 * had to change the body (stream usage, model prefix). Fallbacks and retries wrap this stage later.
 */
export async function forward(
  dispatcher: Dispatcher,
  ctx: CallContext,
  path: string = ctx.protocol.generatePath,
): Promise<Dispatcher.ResponseData> {
  const { provider, model } = ctx.target;
  const prepared = ctx.protocol.prepareUpstream(ctx.body, ctx.rawBody, {
    stream: ctx.stream,
    upstreamModel: model,
  });
  ctx.injectedUsage = prepared?.injectedUsage ?? false;
  const headers = { ...upstreamHeaders(ctx.clientHeaders), ...provider.authHeaders(ctx.clientHeaders) };
  try {
    return await request(provider.url(path), {
      method: 'POST',
      headers,
      body: prepared ? prepared.bytes : ctx.rawBody,
      dispatcher,
      headersTimeout: provider.timeoutMs,
      bodyTimeout: provider.timeoutMs,
    });
  } catch (e) {
    throw upstreamFailure(provider.id, e);
  }
}

export function upstreamFailure(providerId: string, e: unknown): GatewayError {
  if (e instanceof errors.HeadersTimeoutError || e instanceof errors.BodyTimeoutError)
    return new GatewayError('upstream_timeout', `Upstream ${providerId} timed out`);
  const msg = e instanceof Error ? e.message : String(e);
  return new GatewayError('upstream_unreachable', `Upstream ${providerId} unreachable: ${msg}`);
}
