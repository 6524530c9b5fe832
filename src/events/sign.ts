import { createHmac } from 'node:crypto';

// Standard Webhooks signing (https://www.standardwebhooks.com): receivers verify with any spec library.

const PREFIX = 'whsec_';

/** `v1,<base64 HMAC-SHA256>` over `${msgId}.${timestampSec}.${body}`, keyed by the secret's base64 part. */
export function signWebhook(secret: string, msgId: string, timestampSec: number, body: string): string {
  // The reference libraries also accept a bare base64 secret, so the prefix is optional here too.
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  const sig = createHmac('sha256', key).update(`${msgId}.${timestampSec}.${body}`).digest('base64');
  return `v1,${sig}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'content-type': 'application/json';
}

/** The headers of one signed delivery; `body` must be exactly the bytes sent. */
export function webhookHeaders(
  secret: string,
  msgId: string,
  timestampSec: number,
  body: string,
): WebhookHeaders {
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signWebhook(secret, msgId, timestampSec, body),
    'content-type': 'application/json',
  };
}
