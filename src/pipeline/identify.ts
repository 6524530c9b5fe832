import type { IncomingHttpHeaders } from 'node:http';
import { hashKey, isValidId } from '../identity/virtual-keys.js';
import type { KeyStore } from '../ledger/types.js';
import { GatewayError } from '../wire/errors.js';
import type { Identity } from './context.js';
import { parseTags, TAGS_HEADER } from './tags.js';

/** The caller's virtual key from whichever header its SDK sends: OpenAI's Bearer or Anthropic's x-api-key. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim() || undefined;
  const x = headers['x-api-key'];
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}

/** Stage 1: virtual key → customer and feature. App keys name the end customer per request. */
export async function identify(keys: KeyStore, headers: IncomingHttpHeaders): Promise<Identity> {
  const key = presentedKey(headers);
  if (!key)
    throw new GatewayError(
      'missing_api_key',
      'No API key: send your Margin virtual key as Authorization: Bearer <key> or x-api-key',
    );
  const rec = await keys.findKeyByHash(hashKey(key));
  if (!rec) throw new GatewayError('invalid_api_key', 'Invalid API key: not a Margin virtual key');
  if (rec.revokedAt !== null)
    throw new GatewayError('invalid_api_key', 'Invalid API key: this key was revoked');
  const feature = header(headers, 'x-margin-feature') ?? 'default';
  if (!isValidId(feature))
    throw new GatewayError(
      'invalid_request',
      'x-margin-feature: must be 1–128 characters of letters, digits and . _ : @ -',
    );
  let customer = rec.customer;
  if (rec.kind === 'app') {
    customer = header(headers, 'x-margin-customer') ?? null;
    if (!customer)
      throw new GatewayError(
        'customer_required',
        'x-margin-customer: required with an app key (names the end customer)',
      );
    if (!isValidId(customer))
      throw new GatewayError(
        'invalid_request',
        'x-margin-customer: must be 1–128 characters of letters, digits and . _ : @ -',
      );
  }
  const tags = parseTags(headers[TAGS_HEADER]);
  const identity: Identity = { keyId: rec.id, customer: customer ?? 'unknown', feature };
  if (tags) identity.tags = tags; // absent, not undefined, when none
  return identity;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
