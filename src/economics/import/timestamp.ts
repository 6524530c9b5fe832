// ISO-8601 (date or date-time, `T` or a space between them) with an optional zone; without a zone the
// time is UTC, as in LiteLLM's and most databases' exports (Date.parse would read it as local time).
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Earliest and latest accepted times: an epoch in seconds (1.7e9) would land in January 1970. */
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/** Epoch ms from ISO-8601 text or epoch milliseconds (number or digits); a string naming the problem otherwise. */
export function parseTimestamp(v: unknown): number | string {
  let ms: number;
  // The common case first: a full UTC ISO date-time (what toISOString writes) Date.parse reads as is.
  if (
    typeof v === 'string' &&
    v.length >= 20 &&
    v.length <= 24 &&
    v[10] === 'T' &&
    v.endsWith('Z') &&
    ISO_UTC.test(v)
  ) {
    ms = Date.parse(v);
    if (Number.isFinite(ms) && ms >= MIN_MS && ms < MAX_MS) return ms;
  }
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()))) {
    ms = Math.floor(Number(v));
  } else if (typeof v === 'string' && v.trim() !== '') {
    const m = ISO.exec(v.trim());
    if (!m) return `not ISO-8601 or epoch ms (got ${JSON.stringify(v)})`;
    const [, y, mo, d, h = '00', mi = '00', s = '00', f = '', zone] = m;
    let text = `${y}-${mo}-${d}T${h}:${mi}:${s}${f.slice(0, 4)}`;
    if (!zone || zone === 'z' || zone === 'Z') text += 'Z';
    else
      text +=
        zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
    ms = Date.parse(text);
    if (!Number.isFinite(ms)) return `not a valid date/time (got ${JSON.stringify(v)})`;
  } else {
    return 'required (ISO-8601 or epoch ms)';
  }
  if (!Number.isSafeInteger(ms)) return `not a valid date/time (got ${JSON.stringify(v)})`;
  if (ms < MIN_MS)
    return `before 2000-01-01 (got ${JSON.stringify(v)}; epoch values are milliseconds, not seconds)`;
  if (ms >= MAX_MS) return `after 2100 (got ${JSON.stringify(v)})`;
  return ms;
}
