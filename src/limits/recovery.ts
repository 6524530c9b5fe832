import { type OrphanCall, orphanOp, RecoveryBalances } from '../journal/orphan.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { ControlStore } from './control-store.js';

/** What an older release journaled per reservation in the ledger's `reservations` table. */
type LegacySpec = Omit<OrphanCall, 'id' | 'customer' | 'inputCostPico'> & { inputCostPico: string | null };

/**
 * Start-up, for a ledger last served by a release that journaled reservations in SQLite (the request
 * journal does it now): each left there belonged to a call in flight when that process died. One whose
 * ledger row made it is just released; otherwise it becomes an orphan row charging its input, like the
 * request journal's orphans, and is released in the same transaction.
 */
export async function recoverReservations(control: ControlStore, writer: LedgerWriter): Promise<number> {
  const orphans = await control.listReservations();
  const balances = new RecoveryBalances(control, () => writer.inFlight());
  for (const r of orphans) {
    if (await control.hasRequest(r.id)) {
      await writer.submit({ release: r.id });
      continue;
    }
    const j = JSON.parse(r.spec) as LegacySpec;
    const call: OrphanCall = {
      ...j,
      id: r.id,
      customer: r.customer,
      inputCostPico: j.inputCostPico === null ? null : BigInt(j.inputCostPico),
    };
    const op = orphanOp(call, j.wallet ? await balances.get(j.wallet) : undefined);
    balances.debit(op);
    await writer.submit({ ...op, release: r.id });
  }
  return orphans.length;
}
