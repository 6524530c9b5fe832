import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * A worker running the module `name` next to `moduleUrl` (the caller's import.meta.url), with the same
 * extension: .js when built, .ts under the test runner's loader, where the worker must register tsx itself
 * before importing a .ts entry.
 */
export function siblingWorker(moduleUrl: string, name: string, workerData: unknown): Worker {
  const ext = extname(fileURLToPath(moduleUrl));
  const entry = new URL(`./${name}${ext}`, moduleUrl);
  return ext === '.ts'
    ? new Worker(
        `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`,
        { eval: true, workerData },
      )
    : new Worker(entry, { workerData });
}
