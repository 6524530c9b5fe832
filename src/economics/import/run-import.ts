import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { DryRunSink, LedgerBatchWriter } from './batch-writer.js';
import { checkHere, checkOnThreads } from './check-pass.js';
import { planUnits } from './plan-units.js';
import { readSpill } from './spill-file.js';
import type { ImportFormat } from './types.js';

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
  /** One `FILE:LINE: field: problem` line per bad row, in file and line order. */
  onBadRow: (line: string) => void;
  /** Progress of a pass through one file, in bytes. */
  onProgress?: (p: {
    pass: 'check' | 'import';
    file: string;
    bytes: number;
    total: number;
    done: boolean;
  }) => void;
  /** Threads for the check pass (default: the machine's cores, at most 4; 1 checks on this thread). */
  threads?: number;
  /** The smallest part of a JSONL file given its own thread (default 16 MiB). */
  minPartBytes?: number;
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

const MAX_THREADS = 4;
const MIN_PART_BYTES = 16 * 1024 * 1024;

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

/**
 * Imports request logs in two steps. First every row of every file is validated and priced, bad ones
 * reported, and the good ones kept in temporary spill files (big JSONL files are cut into parts checked
 * side by side on worker threads); when there are more than `maxErrors` bad rows, nothing is written.
 * Otherwise the kept rows are written in file order, in batches (one transaction each), skipping request
 * ids already in the ledger. A dry run stops after the first step, counting what would be written.
 */
export async function runImport(opts: ImportOptions): Promise<ImportSummary> {
  for (const f of opts.files) readable(f); // a missing file fails before anything is read
  const threads = Math.max(1, opts.threads ?? Math.min(availableParallelism(), MAX_THREADS));
  const minPart = opts.minPartBytes ?? MIN_PART_BYTES;
  const units = planUnits(opts.files, opts.format, threads, minPart);
  // Threads take a moment to start: worth it only for input worth cutting.
  const bytes = opts.files.reduce((n, f) => n + statSync(f).size, 0);
  const parallel = threads > 1 && units.length > 1 && bytes >= 2 * minPart;
  const dir = mkdtempSync(join(tmpdir(), 'margin-import-'));
  try {
    const dry = opts.dryRun ? new DryRunSink(opts.db) : undefined;
    try {
      const { summary, spills } = parallel
        ? await checkOnThreads(units, opts, threads, dir)
        : await checkHere(units, opts, dir, dry);
      if (dry) {
        // Threads spill the rows they accept; counting what is already in the ledger needs them in order.
        for (const spill of spills)
          for await (const rows of readSpill(spill)) for (const r of rows) dry.add(r);
        return { ...summary, imported: dry.imported, present: dry.present };
      }
      if (summary.bad > opts.maxErrors) return summary;
      return { ...summary, ...(await write(opts, spills)), written: true };
    } finally {
      dry?.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The write pass: the spilled rows in order, in batches; counts of rows written and already present. */
async function write(
  opts: ImportOptions,
  spills: readonly string[],
): Promise<{ imported: number; present: number }> {
  const writer = new LedgerBatchWriter(opts.db);
  try {
    const total = spills.reduce((n, f) => n + statSync(f).size, 0);
    const progress = (bytes: number, done: boolean) =>
      opts.onProgress?.({ pass: 'import', file: opts.db, bytes, total, done });
    let before = 0;
    for (const spill of spills) {
      for await (const rows of readSpill(spill, (b) => progress(before + b, false)))
        for (const row of rows) writer.add(row);
      before += statSync(spill).size;
    }
    writer.flush();
    progress(total, true);
  } finally {
    writer.close();
  }
  return { imported: writer.imported, present: writer.present };
}
