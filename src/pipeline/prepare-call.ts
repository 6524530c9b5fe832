import type { IncomingMessage } from 'node:http';
import type { Reservation } from '../limits/customer-state.js';
import { newRequestId } from '../util/ids.js';
import { GatewayError } from '../wire/errors.js';
import { parseJsonObject } from '../wire/json.js';
import type { WireProtocol } from '../wire/protocol.js';
import type { CallContext, GatewayDeps, Identity } from './context.js';
import { identify } from './identify.js';
import { route } from './route.js';

/** What is known of a call so far; filled in stage by stage so a failure can still be recorded. */
export interface CallDraft {
  id: string;
  startedAt: number;
  t0: number;
  protocol: WireProtocol;
  identity?: Identity;
  modelRequested?: string;
  provider?: string;
  /** Held from admission on, so a failure later still settles (releases) it. */
  admission?: Reservation;
}

export function newDraft(deps: GatewayDeps, protocol: WireProtocol): CallDraft {
  const t0 = performance.now();
  const startedAt = deps.clock.now();
  return { id: newRequestId(startedAt), startedAt, t0, protocol };
}

/**
 * The stages before anything goes upstream: identify → parse → validate → route. `read` validates the
 * body for the endpoint (generation endpoints require more than helper endpoints like count_tokens).
 */
export async function prepareCall(
  deps: GatewayDeps,
  draft: CallDraft,
  req: IncomingMessage,
  rawBody: Buffer,
  read: WireProtocol['readRequest'] = draft.protocol.readRequest,
): Promise<CallContext> {
  const identity = await identify(deps.keys, req.headers);
  draft.identity = identity;
  const body = parseJsonObject(rawBody);
  const { model, stream, maxOutputTokens, maxOutputField } = read(body);
  draft.modelRequested = model;
  const target = route(deps.registry, draft.protocol, model);
  draft.provider = target.provider.id;
  const window = deps.catalog.contextWindow(target.provider.id, target.model);
  if (maxOutputTokens !== undefined && window !== undefined && maxOutputTokens > window) {
    const field = maxOutputField ?? 'max_tokens';
    throw new GatewayError(
      'invalid_request',
      `${field}: must be at most ${window} for ${target.model} (its context window); got ${maxOutputTokens}`,
      field,
    );
  }
  return {
    id: draft.id,
    startedAt: draft.startedAt,
    t0: draft.t0,
    protocol: draft.protocol,
    identity,
    clientHeaders: req.headers,
    body,
    rawBody,
    modelRequested: model,
    stream,
    target,
    injectedUsage: false,
    maxOutputTokens,
  };
}
