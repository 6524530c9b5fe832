import { decodeLine } from './codec.js';
import { SegmentFiles } from './segment-files.js';

/**
 * How many of a customer's calls the request journal in `dir` shows begun and not yet settled: the calls a
 * gateway on that ledger has in flight (or, after a crash, the orphans its next start will charge). Read
 * only; a torn last line is skipped like replay skips it.
 */
export function journaledInFlight(dir: string, customer: string): number {
  let segments: { text: string }[];
  try {
    segments = new SegmentFiles(dir, 0).readAll();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0; // no gateway has run with a journal here
    throw e;
  }
  const begun = new Set<string>();
  const settled = new Set<string>();
  for (const { text } of segments)
    for (const line of text.split('\n')) {
      const e = line ? decodeLine(line) : undefined;
      if (!e) continue;
      if ('begin' in e) {
        if (e.begin.customer === customer) begun.add(e.begin.id);
      } else if (e.settle.request) settled.add(e.settle.request.id);
    }
  let n = 0;
  for (const id of begun) if (!settled.has(id)) n++;
  return n;
}
