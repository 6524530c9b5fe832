import { isValidId } from '../../identity/virtual-keys.js';
import { usdValueToPico } from './decimal-usd.js';
import { parseTimestamp } from './timestamp.js';

// Parsers of the native record's fields. Values come from JSON (numbers, booleans, arrays) or CSV (text),
// so each accepts both spellings; an empty CSV cell or a JSON null counts as absent.

/** A field's parser: its value, or a Problem to report. */
export type Parse<T> = (v: unknown) => T | Problem;
export class Problem {
  constructor(readonly message: string) {}
}
const bad = (message: string) => new Problem(message);
export const shown = (v: unknown) =>
  typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v) : JSON.stringify(v);
export const absent = (v: unknown) => v === undefined || v === null || v === '';

const MAX_TOKENS = 1e12;
export const count =
  (required: boolean): Parse<number> =>
  (v) => {
    if (absent(v)) return required ? bad('required (a whole number of tokens)') : 0;
    const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_TOKENS)
      return bad(`must be a whole number ≥ 0 (got ${shown(v)})`);
    return n;
  };

export const millis: Parse<number | null> = (v) => {
  if (absent(v)) return null;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1e9)
    return bad(`must be a number of milliseconds ≥ 0 (got ${shown(v)})`);
  return n;
};

const TRUE = new Set(['true', '1', 'yes', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'f', 'n', 'none']);
export const flag: Parse<boolean> = (v) => {
  if (absent(v)) return false;
  if (typeof v === 'boolean') return v;
  if (v === 1 || v === 0) return v === 1;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (s !== undefined && TRUE.has(s)) return true;
  if (s !== undefined && FALSE.has(s)) return false;
  return bad(`must be true or false (got ${shown(v)})`);
};

// Ledger row ids: printable ASCII, no surrounding spaces, at most 128 characters.
const PRINTABLE = /^[!-~](?:[ -~]{0,126}[!-~])?$/;
export const requestId: Parse<string> = (v) => {
  if (absent(v)) return bad('required');
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !PRINTABLE.test(s))
    return bad(`must be 1–128 printable ASCII characters without surrounding spaces (got ${shown(v)})`);
  return s;
};

export const text =
  (max: number, what: string): Parse<string | undefined> =>
  (v) => {
    if (absent(v)) return undefined;
    if (typeof v !== 'string' || v.length > max || !PRINTABLE_ANY.test(v))
      return bad(`must be ${what} (got ${shown(v)})`);
    return v;
  };
// Model names may hold any printable character (`ft:gpt-4o:org:x`, `anthropic/claude…`), but no controls.
const PRINTABLE_ANY = /^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u;

export const required =
  <T>(parse: Parse<T | undefined>): Parse<T> =>
  (v) => {
    const r = parse(v);
    return r === undefined ? bad('required') : r;
  };

const PROVIDER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const provider: Parse<string | undefined> = (v) => {
  if (absent(v)) return undefined;
  if (typeof v !== 'string' || !PROVIDER.test(v))
    return bad(`must be a provider id of letters, digits and . _ - (got ${shown(v)})`);
  return v;
};

export const ID_RULE = '1–128 characters of letters, digits and . _ : @ -';
export const feature: Parse<string> = (v) => {
  if (absent(v)) return 'default';
  if (typeof v !== 'string' || !isValidId(v)) return bad(`must be ${ID_RULE} (got ${shown(v)})`);
  return v;
};

export const status: Parse<number> = (v) => {
  if (absent(v)) return 200;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 599)
    return bad(`must be an HTTP status from 100 to 599 (got ${shown(v)})`);
  return n;
};

const MAX_TAGS = 32;
export const tags: Parse<string[]> = (v) => {
  if (absent(v)) return [];
  const list = typeof v === 'string' ? v.split(',') : v;
  if (!Array.isArray(list)) return bad(`must be a list of tags or comma-separated text (got ${shown(v)})`);
  const out = new Set<string>();
  for (const t of list) {
    const s = typeof t === 'string' ? t.trim() : t;
    if (s === '') continue;
    if (typeof s !== 'string' || !isValidId(s)) return bad(`each tag must be ${ID_RULE} (got ${shown(t)})`);
    out.add(s);
  }
  if (out.size > MAX_TAGS) return bad(`at most ${MAX_TAGS} tags (got ${out.size})`);
  return [...out];
};

/** Over 2^53 pico-USD (~$9,007) an integer is no longer exact: one call never costs that. */
const MAX_COST_PICO = BigInt(Number.MAX_SAFE_INTEGER);
export const cost: Parse<bigint | undefined> = (v) => {
  if (absent(v)) return undefined;
  const pico = usdValueToPico(v);
  if (pico === undefined) return bad(`must be a decimal amount of USD (got ${shown(v)})`);
  if (pico < 0n) return bad(`must not be negative (got ${shown(v)})`);
  if (pico > MAX_COST_PICO) return bad(`more than $9,007 for one call (got ${shown(v)})`);
  return pico;
};

export const timestamp: Parse<number> = (v) => {
  const r = parseTimestamp(v);
  return typeof r === 'string' ? bad(r) : r;
};
