import { GatewayError } from './errors.js';
import type { Json } from './json.js';
import type { RequestInfo } from './protocol.js';

/** Checks shared by both protocols; messages name the offending field so SDK users see what to fix. */
export function requireModelAndMessages(body: Json): RequestInfo {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0)
    throw new GatewayError('invalid_request', 'model: required, must be a non-empty string', 'model');
  if (!Array.isArray(body.messages))
    throw new GatewayError('invalid_request', 'messages: required, must be an array', 'messages');
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw new GatewayError('invalid_request', 'stream: must be a boolean', 'stream');
  return { model, stream: stream === true };
}

/** An optional positive-integer field (max_tokens and friends); throws naming it when malformed. */
export function optionalPositiveInt(body: Json, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new GatewayError('invalid_request', `${field}: must be a positive integer`, field);
  return v;
}
