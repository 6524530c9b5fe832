import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { picoToUsd } from '../util/money.js';
import { tryParse } from '../wire/json.js';
import type { CallContext, GatewayDeps } from './context.js';
import { upstreamFailure } from './forward.js';
import { downstreamHeaders } from './headers.js';
import { type Metered, meterEstimated, meterReported, unbilled } from './meter.js';
import { settle } from './settle.js';

/**
 * A non-streamed answer: read it whole, meter it, make the ledger row durable, then send the upstream's
 * status, headers and body bytes unchanged.
 */
export async function relayJson(
  deps: GatewayDeps,
  ctx: CallContext,
  upstream: Dispatcher.ResponseData,
  res: ServerResponse,
): Promise<void> {
  let bytes: Buffer;
  try {
    bytes = Buffer.from(await upstream.body.arrayBuffer());
  } catch (e) {
    // The upstream hung up mid-body after answering 2xx: the model ran, so its input is charged (an
    // estimate, flagged) rather than nothing; the client gets a 502.
    if (upstream.statusCode < 400) {
      const metered = await meterEstimated(deps.catalog, ctx, undefined, []);
      await settle(deps, ctx, metered, {
        status: 502,
        errorCode: 'upstream_disconnected',
        streamed: false,
        ttftMs: null,
      });
    }
    throw upstreamFailure(ctx.target.provider.id, e);
  }
  const ok = upstream.statusCode < 400;
  const text = bytes.toString('utf8');
  const parsed = tryParse(text);
  let metered: Metered;
  if (!ok) {
    metered = unbilled();
  } else {
    const { usage, model } = ctx.protocol.usageFromResponse(parsed);
    metered = usage
      ? meterReported(deps.catalog, ctx, usage, model)
      : await meterEstimated(deps.catalog, ctx, undefined, [text], model);
  }
  await settle(deps, ctx, metered, {
    status: upstream.statusCode,
    errorCode: ok ? null : upstreamErrorCode(parsed),
    streamed: false,
    ttftMs: null,
  });
  const headers = downstreamHeaders(upstream.headers);
  headers['x-margin-request-id'] = ctx.id;
  if (ctx.admission) Object.assign(headers, deps.limits.headersFor(ctx.admission));
  if (metered.costPico !== null) headers['x-margin-cost-usd'] = picoToUsd(metered.costPico);
  res.writeHead(upstream.statusCode, headers);
  res.end(bytes);
}

/** The upstream's own error code or type, from either protocol's error body. */
export function upstreamErrorCode(body: unknown): string {
  const err = (body as { error?: { code?: unknown; type?: unknown } } | undefined)?.error;
  const code = err?.code ?? err?.type;
  return typeof code === 'string' ? code : 'upstream_error';
}
