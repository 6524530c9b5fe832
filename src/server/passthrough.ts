import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayDeps } from '../pipeline/context.js';
import { forward } from '../pipeline/forward.js';
import { sendError } from '../pipeline/handle-call.js';
import { downstreamHeaders } from '../pipeline/headers.js';
import { identify } from '../pipeline/identify.js';
import { route } from '../pipeline/route.js';
import { newRequestId } from '../util/ids.js';
import { GatewayError } from '../wire/errors.js';
import { parseJsonObject } from '../wire/json.js';
import type { WireProtocol } from '../wire/protocol.js';

/** Unbilled helper endpoints (e.g. count_tokens): authenticated and routed, not metered. */
export async function passthrough(
  deps: GatewayDeps,
  protocol: WireProtocol,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const startedAt = deps.clock.now();
  const id = newRequestId(startedAt);
  try {
    const identity = await identify(deps.keys, req.headers);
    const body = parseJsonObject(rawBody);
    const model = body.model;
    if (typeof model !== 'string' || !model)
      throw new GatewayError('invalid_request', 'model: required, must be a non-empty string', 'model');
    const target = route(deps.registry, protocol, model);
    const ctx = {
      id,
      startedAt,
      t0: performance.now(),
      protocol,
      identity,
      clientHeaders: req.headers,
      body,
      rawBody,
      modelRequested: model,
      stream: false,
      target,
      injectedUsage: false,
    };
    const upstream = await forward(deps.dispatcher, ctx, path);
    const bytes = Buffer.from(await upstream.body.arrayBuffer());
    res.writeHead(upstream.statusCode, { ...downstreamHeaders(upstream.headers), 'x-margin-request-id': id });
    res.end(bytes);
  } catch (e) {
    sendError(
      res,
      protocol,
      e instanceof GatewayError ? e : new GatewayError('internal_error', String(e)),
      id,
    );
  }
}
