import { parse } from 'csv-parse/sync';
import { isValidId } from '../identity/virtual-keys.js';
import { parseTimeArg } from '../util/time-arg.js';
import { checkSince, parseMrrUsd } from './control-actions.js';
import type { CustomerImportRow } from './control-store.js';

// customers.csv for `margin customers import`: a header naming `customer, plan, mrr, since` (any order,
// mrr and since optional), then one customer per row. Each bad row becomes one `FILE:LINE: field: problem`.

const COLUMNS = ['customer', 'plan', 'mrr', 'since'] as const;
type Column = (typeof COLUMNS)[number];

export interface CustomersCsv {
  rows: CustomerImportRow[];
  /** One line per bad row (or per header/CSV syntax fault): `FILE:LINE: field: problem`. */
  problems: string[];
}

interface Parsed {
  record: string[];
  info: { lines: number };
}

/** `plans`: the plan names that exist; `now`: `since` may not be later. */
export function parseCustomersCsv(
  text: string,
  file: string,
  opts: { plans: ReadonlySet<string>; now: number },
): CustomersCsv {
  let records: Parsed[];
  try {
    // Line endings normalised first so csv-parse's line numbers are the editor's.
    records = parse(text.replace(/\r\n?/g, '\n'), {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
    }) as unknown as Parsed[];
  } catch (e) {
    const line = (e as { lines?: number }).lines ?? 1;
    return { rows: [], problems: [`${file}:${line}: csv: ${(e as Error).message}`] };
  }
  const header = records[0];
  if (!header)
    return { rows: [], problems: [`${file}:1: header: the file is empty (expected ${COLUMNS.join(', ')})`] };
  const index = headerIndex(header.record);
  if (typeof index === 'string')
    return { rows: [], problems: [`${file}:${header.info.lines}: header: ${index}`] };

  const rows: CustomerImportRow[] = [];
  const problems: string[] = [];
  const firstLine = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    // info.lines is where the record ends; a quoted field may have spanned lines.
    const line = info.lines - record.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
    const cell = (c: Column) => {
      const i = index[c];
      return i === undefined ? '' : (record[i] ?? '');
    };
    try {
      if (record.length > header.record.length)
        throw new Error(`row: has ${record.length} fields, the header ${header.record.length}`);
      rows.push(parseRow(cell, line, firstLine, opts));
    } catch (e) {
      problems.push(`${file}:${line}: ${(e as Error).message}`);
    }
  }
  return { rows, problems };
}

function parseRow(
  cell: (c: Column) => string,
  line: number,
  firstLine: Map<string, number>,
  opts: { plans: ReadonlySet<string>; now: number },
): CustomerImportRow {
  const id = cell('customer');
  if (!id) throw new Error('customer: required');
  if (!isValidId(id))
    throw new Error(
      `customer: must start with a letter or digit and be 1–128 characters of letters, digits and . _ : @ - (got ${JSON.stringify(id)})`,
    );
  const seen = firstLine.get(id);
  if (seen !== undefined)
    throw new Error(`customer: ${JSON.stringify(id)} appears again (first on line ${seen})`);
  firstLine.set(id, line);
  const planText = cell('plan');
  if (planText && !opts.plans.has(planText))
    throw new Error(
      `plan: no plan named ${JSON.stringify(planText)} (apply plans.yaml first; empty = no plan)`,
    );
  const mrrText = cell('mrr');
  const mrrPico = mrrText === '' ? null : parseMrrUsd('mrr', mrrText);
  const since = checkSince('since', parseTimeArg('since', cell('since')), opts.now);
  return { id, plan: planText || null, mrrPico, ...(since === undefined ? {} : { since }) };
}

/** Column name → position, or what is wrong with the header. */
function headerIndex(names: string[]): Partial<Record<Column, number>> | string {
  const index: Partial<Record<Column, number>> = {};
  for (const [i, raw] of names.entries()) {
    const name = raw.toLowerCase();
    if (!(COLUMNS as readonly string[]).includes(name))
      return `unknown column ${JSON.stringify(raw)} (expected ${COLUMNS.join(', ')})`;
    if (index[name as Column] !== undefined) return `column ${JSON.stringify(raw)} appears twice`;
    index[name as Column] = i;
  }
  for (const required of ['customer', 'plan'] as const)
    if (index[required] === undefined) return `missing column ${required} (expected ${COLUMNS.join(', ')})`;
  return index;
}
