import { createReadStream } from 'node:fs';
import type { Config } from '../../config/schema.js';
import type { LedgerRow } from '../../ledger/types.js';
import { picoToUsd } from '../../util/money.js';
import { fromLiteLLM, LITELLM_CUSTOMER_FIELDS, LITELLM_NAMES, looksLikeLiteLLM } from './litellm.js';
import { differs, type ImportPricer } from './pricer.js';
import { readCsv } from './read-csv.js';
import { readJsonl } from './read-jsonl.js';
import { splitInput } from './split-input.js';
import { toLedgerRow } from './to-ledger-row.js';
import type { FieldProblem, ImportFormat, SourceRecord } from './types.js';
import { validateRecord } from './validate-record.js';

/**
 * A part of one file the check pass reads on its own: a whole file, or (JSONL only, lines being records)
 * a range of bytes that starts at a line's start. Line numbers inside it count from its first line.
 */
export interface CheckUnit {
  file: string;
  /** The file's format: chosen, or from its extension (`csv` may still turn out to be LiteLLM's). */
  format: ImportFormat;
  /** True when `format` was chosen (--format): a `.csv` is then never taken for LiteLLM's. */
  chosen: boolean;
  start: number;
  /** Exclusive; Infinity for the whole file. */
  end: number;
}

export interface CheckOptions {
  customerField?: string;
  config: Readonly<Config>;
}

/** What checking a unit found: counts, and flagged examples as (line in the unit, text after `FILE:LINE`). */
export interface UnitCounts {
  read: number;
  bad: number;
  flagged: number;
  flaggedExamples: { line: number; text: string }[];
  unpriced: number;
  unchecked: number;
  /** Lines in the unit (blank ones too): where the next unit of the same file starts counting. */
  lines: number;
}

/** Where a unit's accepted rows go; a returned promise pauses reading (the sink is behind). */
export interface Sink {
  add(row: LedgerRow): Promise<void> | undefined;
}

export interface UnitReport {
  /** A bad row: its line in the unit and `field: problem; …`. */
  bad(line: number, problems: string): void;
  /** Bytes of the unit read so far. */
  progress(bytes: number): void;
}

export const FLAGGED_EXAMPLES = 5;
const PROGRESS_EVERY = 4096;

/** Reads, validates and prices every record of a unit; good rows go to `sink`, bad ones to `report`. */
export async function checkUnit(
  unit: CheckUnit,
  opts: CheckOptions,
  pricer: ImportPricer,
  sink: Sink,
  report: UnitReport,
): Promise<UnitCounts> {
  const s: UnitCounts = {
    read: 0,
    bad: 0,
    flagged: 0,
    flaggedExamples: [],
    unpriced: 0,
    unchecked: 0,
    lines: 0,
  };
  const input = createReadStream(unit.file, {
    highWaterMark: 1 << 20,
    start: unit.start,
    ...(Number.isFinite(unit.end) ? { end: unit.end - 1 } : {}),
  });
  const seen = { lines: 0 };
  const source = unit.format === 'jsonl' ? readJsonl(input, seen) : readCsv(input);
  let format = unit.format;
  let first = true;
  for await (const rec of source) {
    if (first && !unit.chosen && format === 'csv' && looksLikeLiteLLM(Object.keys(rec.fields)))
      format = 'litellm';
    first = false;
    s.read++;
    if (s.read % PROGRESS_EVERY === 0) report.progress(input.bytesRead);
    const row = importOne(rec, format, opts, pricer, s);
    if (Array.isArray(row)) {
      s.bad++;
      report.bad(rec.line, row.map((p) => `${p.field}: ${p.problem}`).join('; '));
    } else {
      const wait = sink.add(row);
      if (wait) await wait;
    }
  }
  s.lines = unit.format === 'jsonl' ? seen.lines : 0;
  return s;
}

/** Validates and prices one record: its ledger row, or its problems when it is a bad row. */
function importOne(
  rec: SourceRecord,
  format: ImportFormat,
  opts: CheckOptions,
  pricer: ImportPricer,
  s: UnitCounts,
): LedgerRow | FieldProblem[] {
  if (rec.error) return [{ field: 'record', problem: rec.error }];
  const litellm = format === 'litellm';
  const mapped = litellm ? fromLiteLLM(rec.fields) : { fields: rec.fields, problems: [] };
  const names = litellm ? LITELLM_NAMES : undefined;
  const customerFields = opts.customerField
    ? [opts.customerField]
    : litellm
      ? LITELLM_CUSTOMER_FIELDS
      : ['workspace_id', 'user_id'];
  const r = validateRecord(mapped.fields, { customerFields, names });
  if (Array.isArray(r)) return [...mapped.problems, ...r];
  if (mapped.problems.length > 0) return mapped.problems;
  const usage = splitInput(r);
  if ('field' in usage) return [{ field: names?.[usage.field] ?? usage.field, problem: usage.problem }];
  const provider = r.provider ?? pricer.providerFor(r.model);
  const { catalogPico } = pricer.price(provider, r.model, usage, r.ts, r.cacheHit);
  let cost = catalogPico;
  if (r.costPico !== undefined) {
    cost = Number(r.costPico);
    if (catalogPico === null) s.unchecked++;
    else if (differs(r.costPico, catalogPico)) {
      s.flagged++;
      if (s.flaggedExamples.length < FLAGGED_EXAMPLES)
        s.flaggedExamples.push({
          line: rec.line,
          text: `${r.requestId} (${provider} ${r.model}): stated $${picoToUsd(r.costPico)}, catalog $${picoToUsd(catalogPico)}`,
        });
    }
  } else if (cost === null) s.unpriced++;
  return toLedgerRow(r, usage, provider, cost, opts.config);
}
