import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Config } from '../../config/schema.js';
import type { LedgerRow } from '../../ledger/types.js';
import { picoToUsd } from '../../util/money.js';
import { DryRunSink, LedgerBatchWriter } from './batch-writer.js';
import { fromLiteLLM, LITELLM_CUSTOMER_FIELDS, LITELLM_NAMES, looksLikeLiteLLM } from './litellm.js';
import { differs, ImportPricer } from './pricer.js';
import { readCsv } from './read-csv.js';
import { readJsonl } from './read-jsonl.js';
import { SpillFile } from './spill-file.js';
import { splitInput } from './split-input.js';
import { toLedgerRow } from './to-ledger-row.js';
import type { FieldProblem, ImportFormat, SourceRecord } from './types.js';
import { validateRecord } from './validate-record.js';

export interface ImportOptions {
  files: readonly string[];
  /** Absent: guessed per file from its extension (and a `.csv`'s header, for LiteLLM's columns). */
  format?: ImportFormat;
  /** The field naming the customer, instead of the format's default. */
  customerField?: string;
  /** More bad rows than this and nothing is imported. */
  maxErrors: number;
  dryRun: boolean;
  db: string;
  config: Readonly<Config>;
  /** One `FILE:LINE: field: problem` line per bad row. */
  onBadRow: (line: string) => void;
  /** Progress of a pass through one file, in bytes. */
  onProgress?: (p: {
    pass: 'check' | 'import';
    file: string;
    bytes: number;
    total: number;
    done: boolean;
  }) => void;
}

export interface ImportSummary {
  read: number;
  /** Rows written (or, in a dry run, that would be). */
  imported: number;
  present: number;
  bad: number;
  /** Rows whose stated cost differs from the catalog's price; a few are described in `flaggedExamples`. */
  flagged: number;
  flaggedExamples: string[];
  /** Rows without a stated cost that the catalog cannot price: imported unpriced, never as $0. */
  unpriced: number;
  /** Rows with a stated cost the catalog has no price to compare with. */
  unchecked: number;
  /** False when nothing was written: a dry run, or more bad rows than allowed. */
  written: boolean;
}

const FLAGGED_EXAMPLES = 5;
const PROGRESS_EVERY = 4096;

function readable(file: string): void {
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
    accessSync(file, constants.R_OK);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new Error(`${file}: cannot read it (${why})`);
  }
}

/** The format of a file from its extension; `.csv` may still turn out to be LiteLLM's (see its header). */
export function guessFormat(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new Error(
    `${file}: cannot tell the format from the extension ${JSON.stringify(ext)}; use --format jsonl|csv|litellm`,
  );
}

/** Where the check pass puts the rows it accepts: a spill file to write from, or a dry run's counter. */
interface Sink {
  add(row: LedgerRow): Promise<void> | undefined;
}

/**
 * Imports request logs in two steps. First every row of every file is validated and priced, bad ones
 * reported, and the good ones kept in a temporary file; when there are more than `maxErrors` bad rows,
 * nothing is written. Otherwise the kept rows are written in batches (one transaction each), skipping
 * request ids already in the ledger. A dry run stops after the first step, counting what would be written.
 */
export async function runImport(opts: ImportOptions): Promise<ImportSummary> {
  for (const f of opts.files) readable(f); // a missing file fails before anything is read
  const pricer = new ImportPricer(opts.config);
  if (opts.dryRun) {
    const dry = new DryRunSink(opts.db);
    try {
      const s = await check(opts, pricer, dry);
      return { ...s, imported: dry.imported, present: dry.present };
    } finally {
      dry.close();
    }
  }
  const spill = new SpillFile();
  try {
    const s = await check(opts, pricer, spill);
    await spill.finish();
    if (s.bad > opts.maxErrors) return s;
    const writer = new LedgerBatchWriter(opts.db);
    try {
      const total = spill.bytes;
      const progress = (bytes: number, done: boolean) =>
        opts.onProgress?.({ pass: 'import', file: opts.db, bytes, total, done });
      for await (const rows of spill.read((b) => progress(b, false))) for (const row of rows) writer.add(row);
      writer.flush();
      progress(total, true);
    } finally {
      writer.close();
    }
    return { ...s, imported: writer.imported, present: writer.present, written: true };
  } finally {
    spill.remove();
  }
}

/** Reads, validates and prices every row of every file; good rows go to `sink`, bad ones are reported. */
async function check(opts: ImportOptions, pricer: ImportPricer, sink: Sink): Promise<ImportSummary> {
  const s: ImportSummary = {
    read: 0,
    imported: 0,
    present: 0,
    bad: 0,
    flagged: 0,
    flaggedExamples: [],
    unpriced: 0,
    unchecked: 0,
    written: false,
  };
  for (const file of opts.files) {
    const total = statSync(file).size;
    const input = createReadStream(file, { highWaterMark: 1 << 20 });
    let format = opts.format ?? guessFormat(file);
    const source = format === 'jsonl' ? readJsonl(input) : readCsv(input);
    let first = true;
    for await (const rec of source) {
      if (first && opts.format === undefined && format === 'csv' && looksLikeLiteLLM(Object.keys(rec.fields)))
        format = 'litellm';
      first = false;
      s.read++;
      if (s.read % PROGRESS_EVERY === 0)
        opts.onProgress?.({ pass: 'check', file, bytes: input.bytesRead, total, done: false });
      const row = importOne(rec, format, opts, pricer, s, file);
      if (Array.isArray(row)) {
        s.bad++;
        opts.onBadRow(`${file}:${rec.line}: ${row.map((p) => `${p.field}: ${p.problem}`).join('; ')}`);
      } else {
        const wait = sink.add(row);
        if (wait) await wait;
      }
    }
    opts.onProgress?.({ pass: 'check', file, bytes: total, total, done: true });
  }
  return s;
}

/** Validates and prices one record: its ledger row, or its problems when it is a bad row. */
function importOne(
  rec: SourceRecord,
  format: ImportFormat,
  opts: ImportOptions,
  pricer: ImportPricer,
  s: ImportSummary,
  file: string,
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
        s.flaggedExamples.push(
          `${file}:${rec.line} ${r.requestId} (${provider} ${r.model}): stated $${picoToUsd(r.costPico)}, catalog $${picoToUsd(catalogPico)}`,
        );
    }
  } else if (cost === null) s.unpriced++;
  return toLedgerRow(r, usage, provider, cost, opts.config);
}
