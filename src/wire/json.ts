import { GatewayError } from './errors.js';

// Small readers for untrusted JSON from upstreams: never throw, never return NaN or negatives.
export type Json = Record<string, unknown>;

export function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/** Largest token count accepted from an upstream; beyond it a number is garbage, not usage. */
export const MAX_TOKENS = 1_000_000_000;

export function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.min(Math.floor(v), MAX_TOKENS) : 0;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Deepest nesting of arrays and objects a client's body may have. Real requests (tool schemas included)
 * stay far below it; anything deeper would overflow the stack of every recursive JSON walker
 * (JSON.stringify included) that touches the body later.
 */
export const MAX_JSON_DEPTH = 128;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether `raw` opens more than `limit` nested arrays/objects: one linear pass over the bytes, counting
 * brackets outside strings. UTF-8 continuation bytes never equal these ASCII codes, so bytes are enough.
 */
export function nestsDeeperThan(raw: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) depth--;
  }
  return false;
}

/**
 * A request body must be a JSON object of bounded depth; anything else is the caller's error. The depth
 * is checked before parsing, so nothing recursive ever sees a deep body.
 */
export function parseJsonObject(raw: Buffer): Json {
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH))
    throw new GatewayError(
      'invalid_json',
      `Request body nests arrays/objects more than ${MAX_JSON_DEPTH} levels deep (the limit)`,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    // V8's message names the position of the problem and quotes only a few characters around it.
    throw new GatewayError('invalid_json', `Request body is not valid JSON: ${(e as Error).message}`);
  }
  const body = obj(parsed);
  if (!body) throw new GatewayError('invalid_json', 'Request body must be a JSON object');
  return body;
}
