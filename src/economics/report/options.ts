// The report's range from `--period/--from/--to` (CLI) or `period/from/to` (admin API): the same rules
// and errors naming the field either way.
import { parseTimeArg } from '../../util/time-arg.js';
import { isoWeekStart, monthStart, type PeriodKind } from '../calendar.js';

export interface ReportRange {
  period: PeriodKind;
  from: number;
  to: number;
}

const DEFAULT_MONTHS = 3;
const DEFAULT_WEEKS = 12;

/** Defaults: up to now; the last three calendar months (this one to date) or the last twelve ISO weeks. */
export function reportRange(
  raw: { period?: string; from?: string; to?: string },
  now: number,
  names = { period: 'period', from: 'from', to: 'to' },
): ReportRange {
  const period = (raw.period ?? 'month') as PeriodKind;
  if (period !== 'month' && period !== 'week')
    throw new RangeError(`${names.period}: must be month or week (got ${JSON.stringify(raw.period)})`);
  const to = parseTimeArg(names.to, raw.to) ?? now;
  let from = parseTimeArg(names.from, raw.from);
  if (from === undefined) {
    if (period === 'month') {
      const d = new Date(monthStart(to - 1));
      from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - (DEFAULT_MONTHS - 1), 1);
    } else from = isoWeekStart(to - 1) - (DEFAULT_WEEKS - 1) * 7 * 86_400_000;
  }
  if (from >= to) throw new RangeError(`${names.from}: must be before ${names.to}`);
  return { period, from, to };
}
