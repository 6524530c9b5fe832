import type { CallHeader, LedgerRow, WalletEntry, WriteOp } from '../ledger/types.js';
import type { ControlStore } from '../limits/control-store.js';

/** What is known of a call that was in flight when the process died. */
export interface OrphanCall extends CallHeader {
  model: string;
  inputTokens: number;
  /** Its input's cost, or null when the model is unpriced. */
  inputCostPico: bigint | null;
  wallet: string | null;
}

/**
 * The call may have reached the provider, so it is charged its input — an estimate, flagged — and debited
 * from its wallet without overdrawing it. `balance` is the wallet's balance as the caller knows it.
 */
export function orphanOp(o: OrphanCall, balance: bigint | undefined): WriteOp {
  const cost = o.inputCostPico;
  const row: LedgerRow = {
    id: o.id,
    ts: o.ts,
    customer: o.customer,
    keyId: o.keyId,
    feature: o.feature,
    provider: o.provider,
    protocol: o.protocol,
    modelRequested: o.modelRequested,
    modelServed: null,
    modelRouted: o.model === o.modelRequested ? null : o.model,
    inputTokens: o.inputTokens,
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
    ...(o.tags?.length ? { tags: o.tags } : {}),
  };
  let wallet: WalletEntry | undefined;
  if (o.wallet && cost !== null && cost > 0n && balance !== undefined) {
    const debit = cost > balance ? (balance > 0n ? balance : 0n) : cost;
    if (debit > 0n)
      wallet = {
        id: `wal_${o.id}`,
        wallet: o.wallet,
        ts: o.ts,
        amountPico: -debit,
        reason: 'usage (estimated: gateway restarted mid-call)',
        requestId: o.id,
        note: null,
      };
  }
  return { request: row, wallet };
}

/**
 * Wallet balances during recovery: committed entries plus those still queued for the ledger, minus what
 * recovery itself has debited so far.
 */
export class RecoveryBalances {
  private readonly known = new Map<string, bigint>();

  constructor(
    private readonly control: ControlStore,
    private readonly queued: () => Iterable<WriteOp>,
  ) {}

  async get(wallet: string): Promise<bigint> {
    const hit = this.known.get(wallet);
    if (hit !== undefined) return hit;
    const pending: WalletEntry[] = [];
    for (const op of this.queued()) if (op.wallet?.wallet === wallet) pending.push(op.wallet);
    let balance = await this.control.walletBalance(
      wallet,
      pending.map((e) => e.id),
    );
    for (const e of pending) balance += e.amountPico;
    this.known.set(wallet, balance);
    return balance;
  }

  debit(op: WriteOp): void {
    const w = op.wallet;
    if (!w) return;
    this.known.set(w.wallet, (this.known.get(w.wallet) ?? 0n) + w.amountPico);
  }
}
