import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayDeps } from '../pipeline/context.js';
import { forward } from '../pipeline/forward.js';
import { sendError } from '../pipeline/handle-call.js';
import { downstreamHeaders } from '../pipeline/headers.js';
import { newDraft, prepareCall } from '../pipeline/prepare-call.js';
import { GatewayError } from '../wire/errors.js';
import type { Json } from '../wire/json.js';
import type { WireProtocol } from '../wire/protocol.js';
import { requireModel } from '../wire/validate.js';

/** Helper endpoints such as count_tokens need a model, not a whole generation request. */
function readModel(body: Json): { model: string; stream: boolean } {
  return { model: requireModel(body), stream: false };
}

/** Unbilled helper endpoints (e.g. count_tokens): authenticated and routed, not metered. */
export async function passthrough(
  deps: GatewayDeps,
  protocol: WireProtocol,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  rawBody: Buffer,
): Promise<void> {
  const draft = newDraft(deps, protocol);
  try {
    const ctx = await prepareCall(deps, draft, req, rawBody, readModel);
    const upstream = await forward(deps.dispatcher, ctx, path);
    const bytes = await upstream.body.bytes();
    res.writeHead(upstream.statusCode, {
      ...downstreamHeaders(upstream.headers),
      'x-margin-request-id': draft.id,
    });
    res.end(bytes);
  } catch (e) {
    const err = e instanceof GatewayError ? e : new GatewayError('internal_error', 'Internal gateway error');
    sendError(res, protocol, err, draft.id);
  }
}
