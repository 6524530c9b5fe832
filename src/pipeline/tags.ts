import { GatewayError } from '../wire/errors.js';

export const TAGS_HEADER = 'x-margin-tags';
export const MAX_TAGS = 16;
const TAG = /^[A-Za-z0-9._:/@-]{1,64}$/;

/**
 * `x-margin-tags: a,b`: comma-separated request tags, each trimmed, 1–64 characters of letters, digits
 * and . _ : / @ -, at most 16 once duplicates are dropped (first one kept, order kept). Tags are joined
 * with commas in the ledger, which is why a comma can never be part of one. Absent or empty: no tags.
 */
export function parseTags(value: string | string[] | undefined): string[] | undefined {
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text === undefined || text.length === 0) return undefined;
  const tags: string[] = [];
  for (const part of text.split(',')) {
    const tag = part.trim();
    if (!TAG.test(tag))
      throw new GatewayError(
        'invalid_request',
        `${TAGS_HEADER}: each tag must be 1–64 characters of letters, digits and . _ : / @ - (got ${JSON.stringify(tag.slice(0, 80))})`,
      );
    if (!tags.includes(tag)) tags.push(tag);
  }
  if (tags.length > MAX_TAGS)
    throw new GatewayError(
      'invalid_request',
      `${TAGS_HEADER}: at most ${MAX_TAGS} distinct tags (got ${tags.length})`,
    );
  return tags;
}
