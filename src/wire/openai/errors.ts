import type { ErrorRenderer } from '../errors.js';

// OpenAI's error body: {"error":{"message","type","param","code"}}; the SDK maps status → typed error.
const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  402: 'insufficient_quota',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
  431: 'invalid_request_error',
};

export const renderOpenAIError: ErrorRenderer = (e) => ({
  status: e.status,
  body: JSON.stringify({
    error: {
      message: e.message,
      type: TYPE_BY_STATUS[e.status] ?? 'server_error',
      param: e.param ?? null,
      code: e.code,
      ...e.details,
    },
  }),
});
