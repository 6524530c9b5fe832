import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { GatewayError } from '../wire/errors.js';
import { type SseEvent, SseFramer } from '../wire/sse.js';
import type { ClientLink } from './client.js';
import type { CallContext, GatewayDeps } from './context.js';
import { upstreamBroke } from './forward.js';
import { downstreamHeaders } from './headers.js';
import { meterEstimated, meterReported } from './meter.js';
import { record } from './record.js';
import type { Outcome } from './settle.js';
import type { UpstreamResponse } from './upstream-request.js';

/**
 * A streamed answer. Every upstream event is written to the client as soon as it is whole, byte for byte;
 * the protocol's tap reads usage on the way. The stream's tail (final usage, stop, [DONE]) is held until
 * the ledger row is durable. A client that goes away is still charged: what upstream reported, or an
 * estimate from what was delivered. When the upstream fails mid-stream (cut, stalled, malformed) the client
 * gets the gateway's error event after the last whole event, never glued onto a partial one.
 */
export async function relayStream(
  deps: GatewayDeps,
  ctx: CallContext,
  upstream: UpstreamResponse,
  res: ServerResponse,
  client: ClientLink,
): Promise<void> {
  const headers = downstreamHeaders(upstream.headers);
  headers['x-margin-request-id'] = ctx.id;
  if (ctx.admission) Object.assign(headers, deps.limits.headersFor(ctx.admission));
  if (!client.gone()) {
    res.writeHead(upstream.statusCode, headers);
    res.flushHeaders();
  }
  // When the client goes, forward's watch cancels the upstream call: this loop then ends with its error.

  const tap = ctx.protocol.streamTap(ctx.injectedUsage);
  const framer = new SseFramer();
  const decoder = new StringDecoder('utf8');
  let tail = '';
  let inTail = false;
  let ttftMs: number | null = null;
  let fault: GatewayError | undefined;
  /** Routes one event to the client (or the held tail); false when it is malformed. */
  const take = (ev: SseEvent, out: string[]): boolean => {
    const d = tap.onEvent(ev);
    if (d.malformed) return false;
    if (d.emit === null) return true;
    if (inTail || d.tail) {
      inTail = true;
      tail += d.emit;
    } else out.push(d.emit);
    return true;
  };
  const malformed = () => new GatewayError('upstream_malformed', 'Upstream sent a malformed stream event');

  try {
    for await (const chunk of upstream.body) {
      ttftMs ??= Math.round((performance.now() - ctx.t0) * 1000) / 1000;
      const out: string[] = [];
      for (const ev of framer.push(decoder.write(chunk))) {
        if (take(ev, out)) continue;
        fault = malformed();
        break;
      }
      // Backpressure: a slow client slows the upstream read instead of growing a buffer here.
      if (out.length && !client.gone() && !res.write(out.join(''))) await drained(res, client.signal);
      if (fault) break; // leaving the loop closes the upstream body
    }
  } catch (e) {
    if (!client.gone()) fault = upstreamBroke(ctx.target.provider.id, e);
  }
  if (!fault && !client.gone()) {
    // An event missing only its blank line is whole; one cut mid-line is dropped (see SseFramer.end).
    const out: string[] = [];
    const last = [...framer.push(decoder.end())];
    const ended = framer.end();
    if (ended) last.push(ended);
    for (const ev of last) if (!fault && !take(ev, out)) fault = malformed();
    if (out.length) res.write(out.join(''));
  }

  const r = tap.result();
  const gone = client.gone();
  if (!gone && !fault && !r.complete && !r.errorCode)
    fault = new GatewayError('upstream_disconnected', 'Upstream closed the stream before it finished');
  const metered =
    r.complete && r.usage
      ? meterReported(deps.catalog, ctx, r.usage, r.model)
      : await meterEstimated(deps.catalog, ctx, r.usage, r.deliveredText, r.model);
  const outcome: Outcome = gone
    ? { status: 499, errorCode: 'client_closed', streamed: true, ttftMs }
    : fault
      ? { status: fault.status, errorCode: fault.code, streamed: true, ttftMs }
      : r.errorCode
        ? { status: r.errorStatus ?? 500, errorCode: r.errorCode, streamed: true, ttftMs }
        : { status: upstream.statusCode, errorCode: null, streamed: true, ttftMs };
  await record(deps, ctx, metered, outcome);
  if (client.gone()) return;
  if (fault) tail += ctx.protocol.renderStreamError(fault);
  res.end(tail);
}

/** Resolves when the client can take more, or is gone (even if it went before this was called). */
function drained(res: ServerResponse, gone: AbortSignal): Promise<void> {
  if (gone.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      gone.removeEventListener('abort', done);
      resolve();
    };
    res.on('drain', done);
    gone.addEventListener('abort', done);
  });
}
