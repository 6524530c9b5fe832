import { parentPort, workerData } from 'node:worker_threads';
import { type CheckOptions, type CheckUnit, checkUnit, type UnitCounts } from './check-unit.js';
import { ImportPricer } from './pricer.js';
import { SpillFile } from './spill-file.js';

// A thread of the check pass (see parallel-check.ts): checks the units it is sent, one at a time, each into
// its own spill file, and answers with what it found. Bad rows go back in batches as they are found.

/** Sent to the worker: a unit to check into `spill`, or (no unit) the end. */
export interface UnitJob {
  unit?: CheckUnit;
  spill?: string;
}

/** Sent back: bad rows so far, progress, the unit's result, or a failure. */
export type WorkerMessage =
  | { kind: 'bad'; rows: [line: number, problems: string][] }
  | { kind: 'progress'; bytes: number }
  | { kind: 'done'; counts: UnitCounts; rows: number; bytes: number }
  | { kind: 'failed'; error: string };

const BAD_BATCH = 256;

const opts = workerData as CheckOptions;
const pricer = new ImportPricer(opts.config);
const port = parentPort;
if (!port) throw new Error('check-worker: not started as a worker thread');

port.on('message', (job: UnitJob) => {
  if (!job.unit || !job.spill) {
    port.close();
    return;
  }
  void run(job.unit, job.spill).catch((e: unknown) =>
    port.postMessage({
      kind: 'failed',
      error: e instanceof Error ? e.message : String(e),
    } satisfies WorkerMessage),
  );
});

async function run(unit: CheckUnit, file: string): Promise<void> {
  const spill = new SpillFile(file);
  let bad: [number, string][] = [];
  const sendBad = () => {
    if (bad.length === 0) return;
    port?.postMessage({ kind: 'bad', rows: bad } satisfies WorkerMessage);
    bad = [];
  };
  try {
    const counts = await checkUnit(unit, opts, pricer, spill, {
      bad: (line, problems) => {
        bad.push([line, problems]);
        if (bad.length >= BAD_BATCH) sendBad();
      },
      progress: (bytes) => port?.postMessage({ kind: 'progress', bytes } satisfies WorkerMessage),
    });
    sendBad();
    await spill.finish();
    port?.postMessage({ kind: 'done', counts, rows: spill.rows, bytes: spill.bytes } satisfies WorkerMessage);
  } catch (e) {
    spill.destroy();
    throw e;
  }
}
