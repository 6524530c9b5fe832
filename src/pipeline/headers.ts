import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

// Hop-by-hop headers and the ones the gateway owns never cross it. Everything else does, both ways, so
// provider features (anthropic-beta, organisation headers, rate-limit headers) keep working.
const NEVER_UPSTREAM = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-connection',
  'content-length',
  'authorization',
  'x-api-key',
  'accept-encoding',
  'cookie',
]);

const NEVER_DOWNSTREAM = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'set-cookie',
  'date',
  'server',
]);

export function upstreamHeaders(client: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(client)) {
    if (v === undefined || NEVER_UPSTREAM.has(k) || k.startsWith('x-margin-')) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  out['content-type'] = 'application/json';
  // Metering reads the body, so ask for it uncompressed.
  out['accept-encoding'] = 'identity';
  return out;
}

export function downstreamHeaders(
  upstream: Record<string, string | string[] | undefined>,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(upstream)) {
    if (v === undefined || NEVER_DOWNSTREAM.has(k)) continue;
    out[k] = v;
  }
  return out;
}
