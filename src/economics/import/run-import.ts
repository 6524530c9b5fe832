import { accessSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.js';
import { DryRunSink, LedgerBatchWriter } from './batch-writer.js';
import { type CheckUnit, checkUnit, FLAGGED_EXAMPLES, type Sink, type UnitCounts } from './check-unit.js';
import { checkInParallel, spillOf } from './parallel-check.js';
import { planUnits } from './plan-units.js';
import { ImportPricer } from './pricer.js';
import { readSpill, SpillFile } from './spill-file.js';
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

interface Checked {
  summary: ImportSummary;
  /** The spill files of the units, in unit (file and line) order. */
  spills: string[];
}

/** Checks the units one after another on this thread. */
async function checkHere(
  units: readonly CheckUnit[],
  opts: ImportOptions,
  dir: string,
  dry: DryRunSink | undefined,
): Promise<Checked> {
  const pricer = new ImportPricer(opts.config);
  const merged = new Merged(units);
  const spills: string[] = [];
  for (const [i, unit] of units.entries()) {
    const total = statSync(unit.file).size;
    const spill = dry ? undefined : new SpillFile(spillOf(dir, i));
    try {
      const sink: Sink = dry ?? (spill as SpillFile);
      const counts = await checkUnit(unit, opts, pricer, sink, {
        bad: (line, problems) => opts.onBadRow(`${unit.file}:${merged.firstLine(i) + line - 1}: ${problems}`),
        progress: (bytes) => opts.onProgress?.({ pass: 'check', file: unit.file, bytes, total, done: false }),
      });
      await spill?.finish();
      merged.add(i, counts);
    } catch (e) {
      spill?.destroy();
      throw e;
    }
    if (spill) spills.push(spill.file);
    opts.onProgress?.({ pass: 'check', file: unit.file, bytes: total, total, done: true });
  }
  return { summary: merged.summary(), spills };
}

/**
 * Checks the units on worker threads. Bad rows of a unit are printed once every unit before it is done
 * (its first line number is known then), so they come out in file and line order as on one thread.
 */
async function checkOnThreads(
  units: readonly CheckUnit[],
  opts: ImportOptions,
  threads: number,
  dir: string,
): Promise<Checked> {
  const merged = new Merged(units);
  const held: [number, string][][] = units.map(() => []);
  const done: boolean[] = units.map(() => false);
  const unitBytes: number[] = units.map(() => 0);
  const sizes = new Map(opts.files.map((f) => [f, statSync(f).size]));
  let printing = 0; // every unit before this one is done and printed
  const print = (i: number, line: number, problems: string) =>
    opts.onBadRow(`${units[i]!.file}:${merged.firstLine(i) + line - 1}: ${problems}`);
  const fileProgress = (i: number) => {
    const file = units[i]!.file;
    let bytes = 0;
    let all = true;
    for (const [j, u] of units.entries())
      if (u.file === file) {
        bytes += unitBytes[j]!;
        all &&= done[j]!;
      }
    const total = sizes.get(file) ?? bytes;
    opts.onProgress?.({ pass: 'check', file, bytes: all ? total : bytes, total, done: all });
  };
  const results = await checkInParallel(units, opts, threads, dir, {
    bad: (i, line, problems) => {
      if (i === printing) print(i, line, problems);
      else held[i]!.push([line, problems]);
    },
    progress: (i, bytes) => {
      unitBytes[i] = bytes;
      fileProgress(i);
    },
    done: (i, r) => {
      merged.add(i, r.counts);
      done[i] = true;
      while (printing < units.length && done[printing]) {
        printing++;
        if (printing < units.length) {
          for (const [line, problems] of held[printing]!) print(printing, line, problems);
          held[printing] = [];
        }
      }
      fileProgress(i);
    },
  });
  return { summary: merged.summary(), spills: results.map((r) => r.spill) };
}

/** The units' counts added up, with line numbers made the file's (a unit counts from its own first line). */
class Merged {
  private readonly counts: (UnitCounts | undefined)[];

  constructor(private readonly units: readonly CheckUnit[]) {
    this.counts = units.map(() => undefined);
  }

  add(i: number, c: UnitCounts): void {
    this.counts[i] = c;
  }

  /**
   * The file's line number of unit i's first line: a unit that starts past 0 continues the unit before it
   * (planUnits puts a file's parts in a row), whose lines come first. Those units must be done.
   */
  firstLine(i: number): number {
    let line = 1;
    for (let j = i; j > 0 && this.units[j]!.start > 0; j--) line += this.counts[j - 1]!.lines;
    return line;
  }

  summary(): ImportSummary {
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
    for (const [i, c] of this.counts.entries()) {
      if (!c) continue;
      s.read += c.read;
      s.bad += c.bad;
      s.flagged += c.flagged;
      s.unpriced += c.unpriced;
      s.unchecked += c.unchecked;
      for (const f of c.flaggedExamples)
        if (s.flaggedExamples.length < FLAGGED_EXAMPLES)
          s.flaggedExamples.push(`${this.units[i]!.file}:${this.firstLine(i) + f.line - 1} ${f.text}`);
    }
    return s;
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
