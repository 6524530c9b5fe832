import { statSync } from 'node:fs';
import type { DryRunSink } from './batch-writer.js';
import { type CheckUnit, checkUnit, FLAGGED_EXAMPLES, type Sink, type UnitCounts } from './check-unit.js';
import { checkInParallel, spillOf } from './parallel-check.js';
import { ImportPricer } from './pricer.js';
import type { ImportOptions, ImportSummary } from './run-import.js';
import { SpillFile } from './spill-file.js';

// The check pass over all units: on this thread, or on worker threads with what they report put back in
// file and line order, so that either way the same bad rows, counts and flagged examples come out.

export interface Checked {
  summary: ImportSummary;
  /** The spill files of the units, in unit (file and line) order. */
  spills: string[];
}

/** Checks the units one after another on this thread. */
export async function checkHere(
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
export async function checkOnThreads(
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
