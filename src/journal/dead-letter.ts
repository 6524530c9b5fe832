import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WriteOp } from '../ledger/types.js';
import { encodeSettle } from './codec.js';

/**
 * A row the ledger keeps refusing while it accepts others is kept here, whole, for an operator to
 * inspect and re-apply: never dropped. (Same line format as the journal.)
 */
export function setAside(journalDir: string, op: WriteOp): void {
  try {
    appendFileSync(join(journalDir, 'rejected.jsonl'), encodeSettle(op));
  } catch {
    // The log line the caller wrote still names the row.
  }
}
