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

/**
 * The headers sent upstream, as undici's flat [name, value, …] list (no object built per call): the
 * client's own, minus the ones above, then the provider's auth (which wins over a client header of the
 * same name), the JSON content type, and identity encoding (metering reads the body, so uncompressed).
 */
export function upstreamHeaders(client: IncomingHttpHeaders, auth: Record<string, string>): string[] {
  const out: string[] = [];
  for (const k in client) {
    const v = client[k];
    if (v === undefined || NEVER_UPSTREAM.has(k) || k === 'content-type' || k.startsWith('x-margin-'))
      continue;
    if (Object.hasOwn(auth, k)) continue;
    out.push(k, Array.isArray(v) ? v.join(', ') : v);
  }
  for (const k in auth) out.push(k, auth[k] as string);
  out.push('content-type', 'application/json', 'accept-encoding', 'identity');
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
