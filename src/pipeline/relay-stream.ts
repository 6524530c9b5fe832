import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../wire/errors.js';
import { SseFramer } from '../wire/sse.js';
import type { CallContext, GatewayDeps } from './context.js';
import { downstreamHeaders } from './headers.js';
import { meterEstimated, meterReported } from './meter.js';
import { settle } from './settle.js';

/**
 * A streamed answer. Every upstream event is written to the client as soon as it is whole, byte for byte;
 * the protocol's tap reads usage on the way. The stream's tail (final usage, stop, [DONE]) is held until
 * the ledger row is durable. A client that goes away is still charged: what upstream reported, or an
 * estimate from what was delivered.
 */
export async function relayStream(
  deps: GatewayDeps,
  ctx: CallContext,
  upstream: Dispatcher.ResponseData,
  res: ServerResponse,
): Promise<void> {
  const headers = downstreamHeaders(upstream.headers);
  headers['x-margin-request-id'] = ctx.id;
  if (ctx.admission) Object.assign(headers, deps.limits.headersFor(ctx.admission));
  res.writeHead(upstream.statusCode, headers);
  res.flushHeaders();

  const tap = ctx.protocol.streamTap(ctx.injectedUsage);
  const framer = new SseFramer();
  const decoder = new StringDecoder('utf8');
  let tail = '';
  let inTail = false;
  let ttftMs: number | null = null;
  let clientGone = false;
  let upstreamBroke = false;
  const onClose = () => {
    if (!res.writableFinished) {
      clientGone = true;
      // Stop the generation upstream too: closing its body closes that connection.
      upstream.body.destroy();
    }
  };
  res.on('close', onClose);

  try {
    for await (const chunk of upstream.body) {
      ttftMs ??= Math.round((performance.now() - ctx.t0) * 1000) / 1000;
      let out = '';
      for (const ev of framer.push(decoder.write(chunk as Buffer))) {
        const d = tap.onEvent(ev);
        if (d.emit === null) continue;
        if (inTail || d.tail) {
          inTail = true;
          tail += d.emit;
        } else out += d.emit;
      }
      // Backpressure: a slow client slows the upstream read instead of growing a buffer here.
      if (out && !clientGone && !res.write(out)) await drainedOrClosed(res);
    }
  } catch {
    if (!clientGone) upstreamBroke = true;
  }
  const rest = framer.rest() + decoder.end();
  if (inTail) tail += rest;
  else if (rest && !clientGone) res.write(rest);

  const r = tap.result();
  const metered =
    r.complete && r.usage
      ? meterReported(deps.catalog, ctx, r.usage, r.model)
      : await meterEstimated(deps.catalog, ctx, r.usage, r.deliveredText, r.model);
  // An error event from upstream is its own explanation; a stream that just stops is a disconnect.
  const broken = !clientGone && (upstreamBroke || (!r.complete && !r.errorCode));
  await settle(deps, ctx, metered, {
    status: clientGone ? 499 : broken ? 502 : upstream.statusCode,
    errorCode: clientGone ? 'client_closed' : (r.errorCode ?? (broken ? 'upstream_disconnected' : null)),
    streamed: true,
    ttftMs,
  });
  res.off('close', onClose);
  if (clientGone) return;
  if (broken) {
    tail += ctx.protocol.renderStreamError(
      new GatewayError('upstream_disconnected', 'Upstream closed the stream before it finished'),
    );
  }
  res.end(tail);
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
