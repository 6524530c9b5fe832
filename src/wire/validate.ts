import { GatewayError } from './errors.js';
import type { Json } from './json.js';
import type { RequestInfo } from './protocol.js';

/** Longest model name accepted: real ones are far shorter, and the name is stored and echoed in errors. */
export const MAX_MODEL_CHARS = 256;

/** Largest output cap accepted (below 2^31): beyond it the worst case cannot even be priced exactly. */
export const MAX_OUTPUT_TOKENS = 2 ** 31 - 1;

/** The request's model: a non-empty string of bounded length; the error names the field. */
export function requireModel(body: Json): string {
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0)
    throw new GatewayError('invalid_request', 'model: required, must be a non-empty string', 'model');
  if (model.length > MAX_MODEL_CHARS)
    throw new GatewayError(
      'invalid_request',
      `model: must be at most ${MAX_MODEL_CHARS} characters (got ${model.length})`,
      'model',
    );
  return model;
}

/** Checks shared by both protocols; messages name the offending field so SDK users see what to fix. */
export function requireModelAndMessages(body: Json): RequestInfo {
  const model = requireModel(body);
  if (!Array.isArray(body.messages))
    throw new GatewayError('invalid_request', 'messages: required, must be an array', 'messages');
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean')
    throw new GatewayError('invalid_request', 'stream: must be a boolean', 'stream');
  return { model, stream: stream === true };
}

/** An optional output cap (max_tokens and friends): an integer from 1 to MAX_OUTPUT_TOKENS. */
export function optionalOutputCap(body: Json, field: string): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_OUTPUT_TOKENS)
    throw new GatewayError(
      'invalid_request',
      `${field}: must be a positive integer below 2^31 (1 to ${MAX_OUTPUT_TOKENS})`,
      field,
    );
  return v;
}

/** A required output cap (Anthropic's max_tokens). */
export function requiredOutputCap(body: Json, field: string): number {
  const v = optionalOutputCap(body, field);
  if (v === undefined)
    throw new GatewayError(
      'invalid_request',
      `${field}: required, a positive integer below 2^31 (1 to ${MAX_OUTPUT_TOKENS})`,
      field,
    );
  return v;
}
