import type { LedgerRow, WalletEntry } from '../ledger/types.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { ControlStore } from './control-store.js';

interface Journal {
  ts: number;
  keyId: string;
  feature: string;
  provider: string;
  protocol: string;
  modelRequested: string;
  model: string;
  inputTokens: number;
  inputCostPico: string | null;
  wallet: string | null;
}

/**
 * Start-up: reservations left in the journal belonged to calls in flight when the previous process died.
 * One whose ledger row made it is just released. Otherwise the call may have reached the provider: it is
 * recorded as an estimated row charging its input (known exactly from admission), debited from the wallet
 * without overdrawing it, and released — all in one transaction per reservation.
 */
export async function recoverReservations(control: ControlStore, writer: LedgerWriter): Promise<number> {
  const orphans = await control.listReservations();
  for (const r of orphans) {
    if (await control.hasRequest(r.id)) {
      await writer.submit({ release: r.id });
      continue;
    }
    const j = JSON.parse(r.spec) as Journal;
    const cost = j.inputCostPico === null ? null : BigInt(j.inputCostPico);
    const row: LedgerRow = {
      id: r.id,
      ts: j.ts,
      customer: r.customer,
      keyId: j.keyId,
      feature: j.feature,
      provider: j.provider,
      protocol: j.protocol,
      modelRequested: j.modelRequested,
      modelServed: null,
      modelRouted: j.model === j.modelRequested ? null : j.model,
      inputTokens: j.inputTokens,
      outputTokens: 0,
      reasoningTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      costPico: cost === null ? null : Number(cost),
      unpriced: cost === null,
      estimated: true,
      cacheHit: false,
      status: 499,
      errorCode: 'gateway_restarted',
      latencyMs: 0,
      ttftMs: null,
      streamed: false,
    };
    let wallet: WalletEntry | undefined;
    if (j.wallet && cost !== null && cost > 0n) {
      const balance = await control.walletBalance(j.wallet, []);
      const debit = cost > balance ? (balance > 0n ? balance : 0n) : cost;
      if (debit > 0n)
        wallet = {
          id: `wal_${r.id}`,
          wallet: j.wallet,
          ts: r.createdAt,
          amountPico: -debit,
          reason: 'usage (estimated: gateway restarted mid-call)',
          requestId: r.id,
          note: null,
        };
    }
    await writer.submit({ request: row, wallet, release: r.id });
  }
  return orphans.length;
}
