import type { ServerResponse } from 'node:http';
import { picoToUsd } from '../util/money.js';
import { GatewayError } from '../wire/errors.js';
import { obj, tryParse } from '../wire/json.js';
import { type ClientLink, clientClosed } from './client.js';
import type { CallContext, GatewayDeps } from './context.js';
import { upstreamBroke } from './forward.js';
import { downstreamHeaders } from './headers.js';
import { type Metered, meterEstimated, meterReported, unbilled } from './meter.js';
import { record } from './record.js';
import type { UpstreamResponse } from './upstream-request.js';

/**
 * A non-streamed answer: read it whole, meter it, make the ledger row durable, then send the upstream's
 * status, headers and body bytes unchanged. The row carries the status the client got: the gateway's own
 * error when the body never arrived whole, 499 when the client left first.
 */
export async function relayJson(
  deps: GatewayDeps,
  ctx: CallContext,
  upstream: UpstreamResponse,
  res: ServerResponse,
  client: ClientLink,
): Promise<void> {
  const ok = upstream.statusCode < 400;
  let bytes: Buffer;
  try {
    bytes = await upstream.body.bytes();
  } catch (e) {
    const err = client.gone() ? clientClosed() : upstreamBroke(ctx.target.provider.id, e);
    return fail(deps, ctx, err, ok);
  }
  const text = bytes.toString('utf8');
  const parsed = tryParse(text);
  // A 2xx that is not a JSON object would make the SDK raise a parse error, not its typed one.
  if (ok && !obj(parsed))
    return fail(
      deps,
      ctx,
      new GatewayError('upstream_malformed', 'Upstream answered with a malformed body'),
      ok,
    );
  let metered: Metered;
  if (!ok) {
    metered = unbilled();
  } else {
    const { usage, model } = ctx.protocol.usageFromResponse(parsed);
    metered = usage
      ? meterReported(deps.catalog, ctx, usage, model)
      : await meterEstimated(deps.catalog, ctx, undefined, ctx.protocol.answerText(parsed), model);
  }
  const gone = client.gone();
  await record(deps, ctx, metered, {
    status: gone ? 499 : upstream.statusCode,
    errorCode: gone ? 'client_closed' : ok ? null : upstreamErrorCode(parsed),
    streamed: false,
    ttftMs: null,
  });
  if (client.gone()) return;
  const headers = downstreamHeaders(upstream.headers);
  headers['x-margin-request-id'] = ctx.id;
  if (ctx.admission) Object.assign(headers, deps.limits.headersFor(ctx.admission));
  if (metered.costPico !== null) headers['x-margin-cost-usd'] = picoToUsd(metered.costPico);
  res.writeHead(upstream.statusCode, headers);
  res.end(bytes);
}

/**
 * The answer never arrived whole. After a 2xx the model ran, so its input is charged (an estimate, flagged)
 * rather than nothing; the row and the client both get `err`'s status (499 when the client had left).
 */
async function fail(deps: GatewayDeps, ctx: CallContext, err: GatewayError, ok: boolean): Promise<never> {
  const metered = ok ? await meterEstimated(deps.catalog, ctx, undefined, []) : unbilled();
  await record(deps, ctx, metered, {
    status: err.status,
    errorCode: err.code,
    streamed: false,
    ttftMs: null,
  });
  throw err;
}

/** The upstream's own error code or type, from either protocol's error body. */
export function upstreamErrorCode(body: unknown): string {
  const err = (body as { error?: { code?: unknown; type?: unknown } } | undefined)?.error;
  const code = err?.code ?? err?.type;
  return typeof code === 'string' ? code : 'upstream_error';
}
