import { type Json, parseJsonObject } from '../wire/json.js';

/** Longest string (or key) an admin body may carry: names, notes and URLs, never documents. */
export const MAX_ADMIN_STRING = 1024;

/**
 * An admin request body: a JSON object of bounded depth whose strings are all bounded. Errors are plain
 * Errors whose message starts with the field at fault, like the admin API's other validation errors.
 */
export function adminBody(raw: Buffer): Json {
  let body: Json;
  try {
    body = parseJsonObject(raw);
  } catch (e) {
    throw new Error(`body: ${(e as Error).message}`);
  }
  const long = firstLongString(body, MAX_ADMIN_STRING);
  if (long)
    throw new Error(`${long.path}: must be at most ${MAX_ADMIN_STRING} characters (got ${long.length})`);
  return body;
}

/** The first string value or key longer than `max`, with its path (iterative: depth is bounded anyway). */
function firstLongString(root: unknown, max: number): { path: string; length: number } | undefined {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string];
    if (typeof v === 'string') {
      if (v.length > max) return { path, length: v.length };
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => {
        stack.push([x, `${path}[${i}]`]);
      });
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const at = path ? `${path}.${clip(k)}` : clip(k);
        if (k.length > max) return { path: `${at} (a key)`, length: k.length };
        stack.push([x, at]);
      }
    }
  }
  return undefined;
}

const clip = (k: string) => (k.length > 64 ? `${k.slice(0, 64)}…` : k);

/** An optional string field; any other type is an error naming the field (not silently dropped). */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`${field}: must be a string`);
  return v;
}

/** A percent-decoded path segment; malformed escapes are the caller's error, named after the segment. */
export function pathParam(segment: string | undefined, field: string): string {
  try {
    return decodeURIComponent(segment ?? '');
  } catch {
    throw new Error(`${field}: not valid percent-encoding in the URL path`);
  }
}
