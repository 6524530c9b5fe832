import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running the module `name` next to `from` (an `import.meta.url`), with the same extension:
 * `.js` when built; `.ts` under the test runner's loader, where the worker must register tsx itself before
 * it can import a `.ts` entry.
 */
export function startModuleWorker(from: string, name: string, options: WorkerOptions): Worker {
  const ext = extname(fileURLToPath(from));
  const entry = new URL(`./${name}${ext}`, from);
  if (ext !== '.ts') return new Worker(entry, options);
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
