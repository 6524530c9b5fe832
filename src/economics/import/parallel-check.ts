import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../util/module-worker.js';
import type { CheckOptions, CheckUnit, UnitCounts } from './check-unit.js';
import type { UnitJob, WorkerMessage } from './check-worker.js';

/** One unit's result: what it found and where its rows were spilled. */
export interface UnitResult {
  counts: UnitCounts;
  spill: string;
  rows: number;
  bytes: number;
}

/** What the threads report as they go, each naming its unit by index. */
export interface UnitEvents {
  bad(unit: number, line: number, problems: string): void;
  progress(unit: number, bytes: number): void;
  done(unit: number, result: UnitResult): void;
}

/**
 * Checks units on up to `threads` worker threads (check-worker.ts), each unit into its own spill file in
 * `dir`; a thread takes the next unit when it is done with one. Resolves with the results in unit order;
 * the first failure stops every thread and rejects.
 */
export function checkInParallel(
  units: readonly CheckUnit[],
  opts: CheckOptions,
  threads: number,
  dir: string,
  events: UnitEvents,
): Promise<UnitResult[]> {
  const results: UnitResult[] = new Array(units.length);
  const workers: Worker[] = [];
  let next = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      for (const w of workers) void w.terminate();
      reject(e);
    };
    const start = (w: Worker) => {
      if (next >= units.length) {
        w.postMessage({} satisfies UnitJob);
        return;
      }
      const i = next++;
      w.removeAllListeners('message');
      w.on('message', (m: WorkerMessage) => {
        try {
          if (m.kind === 'bad') for (const [line, problems] of m.rows) events.bad(i, line, problems);
          else if (m.kind === 'progress') events.progress(i, m.bytes);
          else if (m.kind === 'failed') fail(new Error(`${units[i]!.file}: ${m.error}`));
          else {
            results[i] = { counts: m.counts, spill: spillOf(dir, i), rows: m.rows, bytes: m.bytes };
            events.done(i, results[i]!);
            start(w); // the next unit, or the end: a thread left waiting would keep the process alive
            if (++finished === units.length) resolve(results);
          }
        } catch (e) {
          fail(e instanceof Error ? e : new Error(String(e)));
        }
      });
      w.postMessage({ unit: units[i]!, spill: spillOf(dir, i) } satisfies UnitJob);
    };
    for (let t = 0; t < Math.min(threads, units.length); t++) {
      // Only what the check needs: the caller's options also hold callbacks, which cannot cross threads.
      const data: CheckOptions = { customerField: opts.customerField, config: opts.config };
      const w = startModuleWorker(import.meta.url, 'check-worker', { workerData: data });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && !failed && finished < units.length)
          fail(new Error(`a check thread stopped (exit ${code})`));
      });
      workers.push(w);
      start(w);
    }
  });
}

export const spillOf = (dir: string, unit: number) => join(dir, `unit-${unit}.jsonl`);
