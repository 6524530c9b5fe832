import { createHash, randomBytes } from 'node:crypto';
import type { KeyStore, VirtualKeyRecord } from '../ledger/types.js';

const KEY_PREFIX = 'mk_';

/** Keys carry 240 random bits, so one SHA-256 is a safe hash to store (no slow KDF needed, unlike passwords). */
export function hashKey(key: string): string {
  if (key.length > MAX_CACHED_KEY_CHARS) return sha256(key);
  let hash = recentHashes.get(key);
  if (hash === undefined) {
    hash = sha256(key);
    // Bounded: a flood of made-up keys only empties it. It lives in memory only; keys stay hashed at rest.
    if (recentHashes.size >= MAX_CACHED_KEYS) recentHashes.clear();
    recentHashes.set(key, hash);
  }
  return hash;
}

const sha256 = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Every call presents its key: the hashes of recent ones are kept, so a call skips SHA-256 (~9 µs). */
const recentHashes = new Map<string, string>();
const MAX_CACHED_KEYS = 4096;
/** Real keys are 43 characters; anything much longer is not cached. */
const MAX_CACHED_KEY_CHARS = 128;

export interface CreatedKey {
  key: string;
  record: VirtualKeyRecord;
}

export async function createVirtualKey(
  store: KeyStore,
  opts: { customer?: string; kind?: 'customer' | 'app'; name?: string; now: number },
): Promise<CreatedKey> {
  const kind = opts.kind ?? 'customer';
  if (kind === 'customer' && !opts.customer) throw new Error('customer: required for a customer key');
  if (opts.customer !== undefined) assertCustomerId(opts.customer);
  const key = `${KEY_PREFIX}${randomBytes(30).toString('base64url')}`;
  const record: VirtualKeyRecord = {
    id: `key_${randomBytes(8).toString('hex')}`,
    hash: hashKey(key),
    prefix: key.slice(0, 10),
    kind,
    customer: kind === 'customer' ? (opts.customer ?? null) : null,
    name: opts.name ?? null,
    createdAt: opts.now,
    revokedAt: null,
  };
  await store.insertKey(record);
  return { key, record };
}

const CUSTOMER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;

/** Customer and feature ids end up in reports and URLs: keep them short and printable. */
export function assertCustomerId(id: string, field = 'customer'): void {
  if (!CUSTOMER_ID.test(id))
    throw new Error(
      `${field}: must be 1–128 characters of letters, digits and . _ : @ - (got ${JSON.stringify(id)})`,
    );
}
export const isValidId = (id: string): boolean => CUSTOMER_ID.test(id);
