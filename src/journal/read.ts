import type { WriteOp } from '../ledger/types.js';
import { type BeginRecord, decodeLine } from './codec.js';
import type { Segment, SegmentFiles } from './segment-files.js';

export interface JournalContents {
  segments: Segment[];
  begins: Map<string, BeginRecord>;
  /** Settled ops by request id. */
  settles: Map<string, WriteOp>;
}

/** Everything the journal's segments hold, oldest first; a torn or foreign line is skipped. */
export function readJournal(files: SegmentFiles): JournalContents {
  const found = files.readAll();
  const begins = new Map<string, BeginRecord>();
  const settles = new Map<string, WriteOp>();
  for (const { text } of found)
    for (const line of text.split('\n')) {
      const e = line ? decodeLine(line) : undefined;
      if (!e) continue;
      if ('begin' in e) begins.set(e.begin.id, e.begin);
      else if (e.settle.request) settles.set(e.settle.request.id, e.settle);
    }
  return { segments: found.map((f) => f.seg), begins, settles };
}
