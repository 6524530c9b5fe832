import { readJournal } from './read.js';
import { SegmentFiles } from './segment-files.js';

/**
 * How many of a customer's calls the request journal in `dir` shows begun and not yet settled: the calls a
 * gateway on that ledger has in flight (or, after a crash, the orphans its next start will charge). Read
 * only; a torn last line is skipped like replay skips it.
 */
export function journaledInFlight(dir: string, customer: string): number {
  try {
    const { begins, settles } = readJournal(new SegmentFiles(dir, 0));
    let n = 0;
    for (const b of begins.values()) if (b.customer === customer && !settles.has(b.id)) n++;
    return n;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0; // no gateway has run with a journal here
    throw e;
  }
}
