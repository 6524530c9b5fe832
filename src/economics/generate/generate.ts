import type Database from 'better-sqlite3';
import { prepareControlWrites } from '../../ledger/sqlite/control-writes.js';
import { prepareApplyOps } from '../../ledger/sqlite/insert-requests.js';
import type { LedgerRow, WriteOp } from '../../ledger/types.js';
import type { PriceCatalog } from '../../pricing/catalog.js';
import { AliasTable } from './alias-table.js';
import { type FeatureProfile, featureProfiles, type ModelChoice } from './features.js';
import { makeCall } from './make-call.js';
import { generatedPlans } from './plans.js';
import { DAY_MS, makePopulation, type Population } from './population.js';
import { createRng, forkRng, pickCumulative, type Rng } from './prng.js';
import { makeArrivals, subscribedOn } from './schedule.js';
import { loadTraceSummaries, type TraceSummaries } from './trace-summaries.js';

export interface GenerateOptions {
  customers: number;
  days: number;
  /** Calls in total (exact). */
  rows: number;
  seed: string;
  /** The window is [endMs − days, endMs). */
  endMs: number;
  catalog: PriceCatalog;
  summaries?: TraceSummaries;
  /** Called after each committed batch with the rows written so far. */
  onProgress?: (written: number) => void;
}

export interface GenerateResult {
  rows: number;
  customers: number;
  sessions: number;
  costPico: bigint;
  unpricedRows: number;
  errorRows: number;
  cacheHitRows: number;
  from: number;
  to: number;
}

/** Rows per transaction (and the most a day holds in memory before it is sorted and written). */
const BATCH = 100_000;

/**
 * Writes a synthetic, heavy-tailed usage history into an open ledger: plans and customers through the
 * control plane's writes, then every call through the ledger's write path (prepareApplyOps, so whatever
 * that path maintains alongside the rows is maintained here too), day by day, a batch per transaction.
 * Memory is bounded by a batch and the number of customers, whatever the total. Deterministic for a
 * seed and the other options.
 */
export async function generateUsage(db: Database.Database, o: GenerateOptions): Promise<GenerateResult> {
  const summaries = o.summaries ?? loadTraceSummaries();
  const features = featureProfiles(summaries);
  const root = createRng(`margin-generate:${o.seed}`);
  const startMs = o.endMs - o.days * DAY_MS;
  const pop = makePopulation(root, o.customers, startMs, o.endMs, features);
  const arrivals = makeArrivals(summaries, pop, startMs, o.days, o.rows);
  writeControlPlane(db, pop);

  const applyOps = prepareApplyOps(db);
  const rng = forkRng(root, 'calls');
  // Ids sort in write order, so the primary key index only ever appends; the prefix names the run.
  const runTag = `g${runHash(o).toString(36)}`;
  let seq = 0;
  const result: GenerateResult = {
    rows: 0,
    customers: o.customers,
    sessions: 0,
    costPico: 0n,
    unpricedRows: 0,
    errorRows: 0,
    cacheHitRows: 0,
    from: startMs,
    to: o.endMs,
  };
  const weights = new Float64Array(o.customers);
  for (let d = 0; d < o.days; d++) {
    const dayStart = startMs + d * DAY_MS;
    let quota = arrivals.perDay[d]!;
    if (quota === 0) continue;
    for (let c = 0; c < o.customers; c++) weights[c] = subscribedOn(pop, c, dayStart) ? pop.weight[c]! : 0;
    const pickCustomer = new AliasTable(weights);
    while (quota > 0) {
      const n = Math.min(quota, BATCH);
      const calls = daySessions(rng, n, dayStart, pickCustomer, pop, arrivals, features, result);
      calls.sort((a, b) => a.ts - b.ts);
      const ops: WriteOp[] = new Array(calls.length);
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i]!;
        const customer = pop.ids[c.customer]!;
        const row = makeCall(rng, o.catalog, {
          id: `${runTag}-${(seq++).toString(36).padStart(7, '0')}`,
          ts: c.ts,
          customer,
          keyId: `key-${customer}`,
          feature: c.feature,
          model: c.model,
          turn: c.turn,
          tags: c.tags,
        });
        tally(result, row);
        ops[i] = { request: row };
      }
      applyOps(ops);
      quota -= n;
      o.onProgress?.(result.rows);
      // Let timers (the progress bar) run between transactions.
      await new Promise((r) => setImmediate(r));
    }
  }
  return result;
}

interface PendingCall {
  ts: number;
  customer: number;
  feature: FeatureProfile;
  model: ModelChoice;
  turn: number;
  tags: readonly string[];
}

const ENV_TAGS = [['env:prod'], ['env:prod', 'experiment:a'], ['env:prod', 'experiment:b'], ['env:staging']];

/** `n` calls of one day, in sessions: a customer, one feature and model, calls a gap apart. */
function daySessions(
  rng: Rng,
  n: number,
  dayStart: number,
  pickCustomer: AliasTable,
  pop: Population,
  arrivals: ReturnType<typeof makeArrivals>,
  features: readonly FeatureProfile[],
  result: GenerateResult,
): PendingCall[] {
  const out: PendingCall[] = [];
  const nf = features.length;
  while (out.length < n) {
    const customer = pickCustomer.draw(rng);
    const mix = pop.featureCumulative.subarray(customer * nf, customer * nf + nf);
    const feature = features[pickCumulative(rng, mix)]!;
    const model = feature.models[pickCumulative(rng, feature.modelCumulative)]!;
    const x = rng.next();
    const tags = ENV_TAGS[x < 0.9 ? 0 : x < 0.94 ? 1 : x < 0.98 ? 2 : 3]!;
    const size = Math.max(1, Math.round(arrivals.sessionSize(rng) * feature.sessionScale));
    let ts = arrivals.sessionStart(rng, dayStart, pop.utcOffsetH[customer]!);
    result.sessions++;
    for (let turn = 0; turn < size && out.length < n; turn++) {
      out.push({ ts, customer, feature, model, turn, tags });
      // A session crossing midnight wraps into the same day: each day holds exactly its share.
      ts = dayStart + ((ts - dayStart + arrivals.gap(rng)) % DAY_MS);
    }
  }
  return out;
}

function tally(r: GenerateResult, row: LedgerRow): void {
  r.rows++;
  if (row.costPico === null) r.unpricedRows++;
  else r.costPico += BigInt(row.costPico);
  if (row.status >= 400) r.errorRows++;
  if (row.cacheHit) r.cacheHitRows++;
}

/** Plans, then each customer's sign-up, upgrade and cancellation, through the control plane's writes. */
function writeControlPlane(db: Database.Database, pop: Population): void {
  const w = prepareControlWrites(db);
  let first = Number.POSITIVE_INFINITY;
  for (const e of pop.planEvents) first = Math.min(first, e.at);
  db.transaction(() => {
    w.upsertPlans(generatedPlans(), first);
    for (const e of pop.planEvents) w.setCustomer({ id: pop.ids[e.customer]!, plan: e.plan }, e.at);
  })();
}

/** FNV-1a over the options that shape the rows: the same run writes the same ids (re-running adds nothing). */
function runHash(o: GenerateOptions): number {
  let h = 0x811c9dc5;
  for (const ch of JSON.stringify([o.seed, o.customers, o.days, o.rows, o.endMs])) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
