/** Parses a time bound given as ISO-8601 (date or date-time) or epoch milliseconds; the error names the field. */
export function parseTimeArg(field: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms))
    throw new Error(`${field}: not a date/time (use ISO-8601, e.g. 2026-11-01, or epoch ms)`);
  return ms;
}
