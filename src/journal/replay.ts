import type { LedgerWriter } from '../ledger/writer.js';
import type { ControlStore } from '../limits/control-store.js';
import type { PriceCatalog } from '../pricing/catalog.js';
import { costPico } from '../pricing/cost.js';
import { emptyUsage } from '../pricing/usage.js';
import type { BeginRecord } from './codec.js';
import { type OrphanCall, orphanOp, RecoveryBalances } from './orphan.js';
import { readJournal } from './read.js';
import { type JournalOptions, RequestJournal } from './request-journal.js';
import { SegmentFiles } from './segment-files.js';

export interface JournalDeps {
  writer: LedgerWriter;
  control: ControlStore;
  catalog: PriceCatalog;
}

export interface Replayed {
  /** Settled calls the ledger had not committed when the previous process stopped. */
  settles: number;
  /** Calls that began and never settled: recorded as estimated rows charging their input. */
  orphans: number;
}

/** Bytes per token assumed for a call journaled without a token count (metering only): an estimate. */
const BYTES_PER_TOKEN = 4;

/**
 * Opens the journal in `dir`: replays what a previous process left (its settled ops into the ledger, its
 * unsettled calls as orphans), deletes those segments once the ledger has committed all of it, and starts
 * a fresh segment. Replay is idempotent (ledger ops are keyed by request id), so a crash mid-replay is safe.
 */
export async function openJournal(
  dir: string,
  deps: JournalDeps,
  opts: JournalOptions,
): Promise<{ journal: RequestJournal; replayed: Replayed }> {
  const files = new SegmentFiles(dir, opts.reserveBytes);
  files.lock();
  const { segments, begins, settles } = readJournal(files);
  const committed: Promise<void>[] = [];
  for (const op of settles.values()) committed.push(deps.writer.submit(op));
  const balances = new RecoveryBalances(deps.control, () => deps.writer.inFlight());
  let orphans = 0;
  for (const b of begins.values()) {
    if (settles.has(b.id) || (await deps.control.hasRequest(b.id))) continue;
    const call = orphanCall(b, deps.catalog);
    const op = orphanOp(call, call.wallet ? await balances.get(call.wallet) : undefined);
    balances.debit(op);
    committed.push(deps.writer.submit(op));
    orphans++;
  }
  // The old segments go once all of it is in the ledger; until then a crash replays them again.
  void Promise.all(committed).then(() => {
    for (const s of segments) files.remove(s);
  });
  const firstSeq = segments.reduce((m, s) => Math.max(m, s.seq), 0) + 1;
  const journal = new RequestJournal(files, deps.writer, opts, firstSeq);
  return { journal, replayed: { settles: settles.size, orphans } };
}

function orphanCall(b: BeginRecord, catalog: PriceCatalog): OrphanCall {
  const inputTokens = b.inputTokens ?? Math.ceil(b.bodyBytes / BYTES_PER_TOKEN);
  const quote = catalog.quote(b.provider, b.model, b.ts);
  const cost = quote ? costPico({ ...emptyUsage(), input: inputTokens }, quote) : Number.NaN;
  return {
    id: b.id,
    ts: b.ts,
    customer: b.customer,
    keyId: b.keyId,
    feature: b.feature,
    provider: b.provider,
    protocol: b.protocol,
    modelRequested: b.modelRequested,
    // Begin lines written before tags existed have none.
    ...(Array.isArray(b.tags) && b.tags.length ? { tags: b.tags } : {}),
    model: b.model,
    inputTokens,
    inputCostPico: Number.isSafeInteger(cost) ? BigInt(cost) : null,
    wallet: b.wallet,
  };
}
