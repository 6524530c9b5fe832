/** Stable error codes the gateway itself raises; each renders in the caller's protocol. */
export type ErrorCode =
  | 'missing_api_key'
  | 'invalid_api_key'
  | 'invalid_json'
  | 'invalid_request'
  | 'body_too_large'
  | 'headers_too_large'
  | 'unknown_model'
  | 'unsupported_protocol'
  | 'customer_required'
  | 'not_found'
  | 'method_not_allowed'
  | 'upstream_unreachable'
  | 'upstream_timeout'
  | 'upstream_disconnected'
  | 'upstream_malformed'
  | 'upstream_not_configured'
  | 'client_closed'
  | 'admin_unauthorized'
  | 'budget_exceeded'
  | 'feature_quota_exceeded'
  | 'wallet_insufficient'
  | 'unpriced_model'
  | 'rate_limited'
  | 'budget_busy'
  | 'ledger_unavailable'
  | 'internal_error';

const STATUS: Record<ErrorCode, number> = {
  missing_api_key: 401,
  invalid_api_key: 401,
  invalid_json: 400,
  invalid_request: 400,
  body_too_large: 413,
  headers_too_large: 431,
  unknown_model: 404,
  unsupported_protocol: 400,
  customer_required: 400,
  not_found: 404,
  method_not_allowed: 405,
  upstream_unreachable: 502,
  upstream_timeout: 504,
  upstream_disconnected: 502,
  upstream_malformed: 502,
  upstream_not_configured: 500,
  // nginx's code for a client that hung up before its answer: only ever in the ledger, never sent.
  client_closed: 499,
  admin_unauthorized: 401,
  budget_exceeded: 402,
  feature_quota_exceeded: 402,
  wallet_insufficient: 402,
  unpriced_model: 402,
  rate_limited: 429,
  budget_busy: 429,
  ledger_unavailable: 503,
  internal_error: 500,
};

const RETRYABLE = new Set<ErrorCode>([
  'upstream_unreachable',
  'upstream_timeout',
  'upstream_disconnected',
  'upstream_malformed',
  'rate_limited',
  'budget_busy',
  'ledger_unavailable',
]);

/** Extra facts for a gated call (plan, used, cap, reset, upgrade URL), rendered inside the error object. */
export type ErrorDetails = Record<string, string | number | boolean | null>;

export class GatewayError extends Error {
  override name = 'GatewayError';
  readonly status: number;
  readonly retryable: boolean;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault, when there is one (OpenAI's `param`). */
    readonly param?: string,
    readonly details?: ErrorDetails,
    /** Seconds the caller should wait before retrying (sent as `retry-after`). */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.status = STATUS[code];
    this.retryable = RETRYABLE.has(code);
  }
}

export interface RenderedError {
  status: number;
  body: string;
}

/** How a protocol writes an error body, so each SDK raises its own typed error. */
export type ErrorRenderer = (e: GatewayError) => RenderedError;
