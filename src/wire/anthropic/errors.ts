import type { ErrorRenderer } from '../errors.js';

// Anthropic's error body: {"type":"error","error":{"type","message"}}; `type` is fixed per status.
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  431: 'request_too_large',
  529: 'overloaded_error',
};

export const renderAnthropicError: ErrorRenderer = (e) => ({
  status: e.status,
  body: JSON.stringify({
    type: 'error',
    error: { type: TYPE_BY_STATUS[e.status] ?? 'api_error', message: e.message, code: e.code, ...e.details },
  }),
});
