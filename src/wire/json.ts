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

/** A request body must be a JSON object; anything else is the caller's error. */
export function parseJsonObject(raw: Buffer): Json {
  const body = obj(tryParse(raw.toString('utf8')));
  if (!body) throw new GatewayError('invalid_json', 'Request body must be a JSON object');
  return body;
}
