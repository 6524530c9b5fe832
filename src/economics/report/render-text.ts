// `margin report` in a terminal: each table with its title.
import { table } from '../../cli/table.js';
import type { Table } from './tables.js';
import type { EconomicsReport } from './types.js';

export function renderText(r: EconomicsReport, tables: readonly Table[]): string {
  const head = [
    `Unit economics ${r.from.slice(0, 10)} → ${r.to.slice(0, 10)} (per ${r.period}, UTC)`,
    `Percentiles: ${r.percentile_method}. Loaded cost = AI cost + $${r.overhead_per_customer_usd} overhead per customer.`,
  ];
  const body = tables.filter((t) => t.rows.length > 0).map((t) => `${t.title}\n${table(t.headers, t.rows)}`);
  return [...head, '', body.join('\n\n')].join('\n');
}
