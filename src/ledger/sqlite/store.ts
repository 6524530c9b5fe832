import type Database from 'better-sqlite3';
import type { EconomicsReader } from '../../economics/reader.js';
import type { Retention } from '../retention.js';
import { isSqliteBusy, StoreBusyError } from '../store-busy.js';
import type {
  LedgerRow,
  RequestQuery,
  Store,
  UsageDimension,
  UsageGroup,
  UsageQuery,
  VirtualKeyRecord,
  WriteOp,
} from '../types.js';
import { type ControlWriteFn, SqliteControlStore } from './control-store.js';
import {
  type ControlCall,
  type ControlWrites,
  prepareControlWrites,
  runControlCall,
} from './control-writes.js';
import { RAW_EDGES, ROLLUP_DAYS, splitDays } from './day-split.js';
import { SqliteEconomicsReader } from './economics-reader.js';
import { prepareApplyOps } from './insert-requests.js';
import { LedgerThread } from './ledger-thread.js';
import { openLedger } from './open-ledger.js';
import { PRUNE_CHUNK, preparePruneChunk, rebuildRollups } from './prune.js';
import { DAY_MS, DETAIL, DIMS } from './rollup-sql.js';
import { fromKeyRow, fromRequestRow, type KeyRowDb, type RequestRowDb } from './rows.js';
import { SpendThread } from './spend-thread.js';

const KEY_RECHECK_MS = 50;
/** How long a control write on the control thread waits for a write lock held elsewhere before "busy". */
const CONTROL_BUSY_MS = 1000;

const GROUP_EXPR: Record<UsageDimension, string> = {
  customer: 'customer',
  feature: 'feature',
  model: 'COALESCE(model_served, model_requested)',
  provider: 'provider',
  day: "strftime('%Y-%m-%d', ts / 1000, 'unixepoch')",
};

/** The same groups over the day rollups (whose model column is already the served-or-requested one). */
const ROLLUP_GROUP_EXPR: Record<UsageDimension, string> = {
  ...GROUP_EXPR,
  model: 'model',
  day: "strftime('%Y-%m-%d', day / 1000, 'unixepoch')",
};

/**
 * The embedded default store: one SQLite file in WAL mode. A committed transaction survives the process
 * being killed (synchronous=NORMAL keeps commits durable against process crashes without an fsync each).
 */
export class SqliteStore implements Store, Retention {
  private readonly db: Database.Database;
  private readonly applyOps: (ops: readonly WriteOp[]) => void;
  private readonly pruneChunk: (horizon: number, limit: number) => number;
  private readonly writer: LedgerThread | undefined;
  private readonly checkpointer: LedgerThread | undefined;
  /** Control-plane writes (plans, customers, top-ups, keys) off the event loop, with a short busy bound. */
  private readonly controlThread: LedgerThread | undefined;
  private readonly controlWrites: ControlWrites;
  private readonly findByHash: Database.Statement;
  private readonly dataVersion: Database.Statement;
  /** Key lookups are on every request; cached until any connection commits a change (see findKeyByHash). */
  private readonly keyCache = new Map<string, VirtualKeyRecord | undefined>();
  private seenVersion = -1;
  /** Plans, customers, wallets, reservations: the control plane, on the same file. */
  readonly control: SqliteControlStore;
  private checkedAt = 0;

  /**
   * `writerThread`: ledger appends and control writes run on threads with their own connections (the
   * gateway's setting), so a write lock held by another process never blocks the event loop.
   * `controlBusyMs`: how long such a control write waits for that lock before failing with StoreBusyError.
   */
  private spendThread: SpendThread | undefined;

  constructor(
    private readonly file: string,
    opts: { writerThread?: boolean; controlBusyMs?: number } = {},
  ) {
    this.db = openLedger(file, { writable: opts.writerThread });
    this.applyOps = prepareApplyOps(this.db);
    this.pruneChunk = preparePruneChunk(this.db);
    this.controlWrites = prepareControlWrites(this.db);
    const threads = opts.writerThread && file !== ':memory:';
    this.writer = threads ? new LedgerThread(file, 'writer') : undefined;
    this.checkpointer = threads ? new LedgerThread(file, 'checkpointer') : undefined;
    this.controlThread = threads
      ? new LedgerThread(file, 'control', opts.controlBusyMs ?? CONTROL_BUSY_MS)
      : undefined;
    this.findByHash = this.db.prepare('SELECT * FROM virtual_keys WHERE hash = ?');
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.control = new SqliteControlStore(this.db, this.writeControl);
  }

  /** One control-plane write; a held write lock past the bound becomes StoreBusyError either way. */
  private readonly writeControl: ControlWriteFn = async (op, ...args) => {
    const call = { op, args } as ControlCall;
    type Result = ReturnType<ControlWrites[typeof op]>;
    if (this.controlThread?.alive) return (await this.controlThread.call(call)) as Result;
    try {
      return runControlCall(this.controlWrites, call) as Result;
    } catch (e) {
      if (isSqliteBusy(e))
        throw new StoreBusyError(this.file, this.db.pragma('busy_timeout', { simple: true }) as number);
      if ((e as { code?: unknown }).code === 'SQLITE_READONLY')
        throw new Error(`db: the ledger ${this.file} is read-only: ${(e as Error).message}`);
      throw e;
    }
  };

  append(rows: readonly LedgerRow[]): Promise<void> {
    return this.write(rows.map((request) => ({ request })));
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    if (this.writer?.alive) return this.writer.write(ops);
    this.applyOps(ops);
  }

  /**
   * Deletes raw rows older than `before` floored to 00:00 UTC (whole days go), keeping their ids so they
   * can never be added again; rollups keep their figures. In chunks, on the writer thread when there is
   * one, so ledger commits go on in between. Returns the horizon and how many rows went.
   */
  async prune(before: number, signal?: AbortSignal): Promise<{ horizon: number; deleted: number }> {
    const horizon = Math.floor(before / DAY_MS) * DAY_MS;
    let deleted = 0;
    for (;;) {
      const n = this.writer?.alive
        ? await this.writer.prune(horizon, PRUNE_CHUNK)
        : this.pruneChunk(horizon, PRUNE_CHUNK);
      deleted += n;
      if (n < PRUNE_CHUNK || signal?.aborted) return { horizon, deleted };
    }
  }

  /** Recomputes the rollups from raw rows (see rollup-sql.ts rebuildSql); returns the prune horizon kept. */
  async rebuildRollups(): Promise<{ horizon: number }> {
    return { horizon: rebuildRollups(this.db) };
  }

  /** The economics reader on this store's connection (rollups, plan history, top-ups). */
  economics(): EconomicsReader {
    // Spend reads run on their own thread for file ledgers (an in-memory one has no file to share).
    if (!this.db.memory) this.spendThread ??= new SpendThread(this.file);
    return new SqliteEconomicsReader(this.db, this.spendThread);
  }

  async requests(q: RequestQuery): Promise<LedgerRow[]> {
    const { where, params } = filters(q);
    params.limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    if (q.before !== undefined) {
      where.push('id < @before');
      params.before = q.before;
    }
    const sql = `SELECT * FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY ts DESC, id DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as RequestRowDb[]).map(fromRequestRow);
  }

  /**
   * Whole UTC days are read from the rollups (which outlive pruned rows), the ragged ends of the range
   * from raw rows: the groups are the same as summing the raw rows, before and after pruning.
   */
  async usage(q: UsageQuery): Promise<UsageGroup[]> {
    const params: Record<string, unknown> = { ...splitDays(q.from, q.to) };
    const customer = q.customer === undefined ? '' : 'AND customer = @customer';
    if (q.customer !== undefined) params.customer = q.customer;
    // The customer × day detail when a customer is named or grouped by; else the smaller dimensions table.
    const rollup = q.customer !== undefined || q.by === 'customer' ? DETAIL.table : DIMS.table;
    const sql = `SELECT key, SUM(n) AS requests, SUM(input) AS input, SUM(output) AS output,
        SUM(cache_write) AS cache_write, SUM(cache_read) AS cache_read, SUM(cost) AS cost,
        SUM(unpriced) AS unpriced, SUM(estimated) AS estimated, SUM(errors) AS errors
      FROM (
        SELECT ${ROLLUP_GROUP_EXPR[q.by]} AS key, requests AS n, input_tokens AS input,
          output_tokens AS output, cache_write_tokens AS cache_write, cache_read_tokens AS cache_read,
          cost_pico AS cost, unpriced_requests AS unpriced, estimated_requests AS estimated,
          error_requests AS errors
        FROM ${rollup} WHERE ${ROLLUP_DAYS} ${customer}
        UNION ALL
        SELECT ${GROUP_EXPR[q.by]}, 1, input_tokens, output_tokens,
          cache_write_5m_tokens + cache_write_1h_tokens, cache_read_tokens, COALESCE(cost_pico, 0),
          unpriced, estimated, status >= 400
        FROM requests WHERE ${RAW_EDGES} ${customer}
      )
      GROUP BY key ORDER BY cost DESC, key`;
    // Sums come back as BigInt so money never passes through a float.
    const rows = this.db.prepare(sql).safeIntegers(true).all(params) as Record<string, bigint | string>[];
    return rows.map((r) => ({
      key: String(r.key),
      requests: Number(r.requests),
      inputTokens: Number(r.input),
      outputTokens: Number(r.output),
      cacheWriteTokens: Number(r.cache_write),
      cacheReadTokens: Number(r.cache_read),
      costPico: BigInt(r.cost as bigint),
      unpricedRequests: Number(r.unpriced),
      estimatedRequests: Number(r.estimated),
      errorRequests: Number(r.errors),
    }));
  }

  async insertKey(k: VirtualKeyRecord): Promise<void> {
    await this.writeControl('insertKey', k);
    this.keyCache.clear();
  }

  async findKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined> {
    // data_version moves when another connection (a `margin keys` CLI, another replica) commits. Reading
    // it costs a file-lock round trip, so it is read at most every KEY_RECHECK_MS: a revocation made
    // elsewhere is seen within that time; this connection's own key writes clear the cache at once.
    const now = performance.now();
    if (now - this.checkedAt >= KEY_RECHECK_MS) {
      this.checkedAt = now;
      const version = this.dataVersion.get() as number;
      if (version !== this.seenVersion) {
        this.keyCache.clear();
        this.seenVersion = version;
      }
    }
    if (this.keyCache.has(hash)) return this.keyCache.get(hash);
    const row = this.findByHash.get(hash) as KeyRowDb | undefined;
    const rec = row ? fromKeyRow(row) : undefined;
    if (this.keyCache.size >= 10_000) this.keyCache.clear(); // bounded: unknown keys are cached too
    this.keyCache.set(hash, rec);
    return rec;
  }

  async listKeys(opts: { customer?: string; includeRevoked?: boolean } = {}): Promise<VirtualKeyRecord[]> {
    const rows = this.db
      .prepare(
        `SELECT * FROM virtual_keys WHERE (@customer IS NULL OR customer = @customer)
           AND (@all = 1 OR revoked_at IS NULL) ORDER BY created_at, id`,
      )
      .all({ customer: opts.customer ?? null, all: opts.includeRevoked ? 1 : 0 }) as KeyRowDb[];
    return rows.map(fromKeyRow);
  }

  async revokeKey(idOrPrefix: string, at: number): Promise<VirtualKeyRecord | undefined> {
    const k = await this.writeControl('revokeKey', idOrPrefix, at);
    this.keyCache.clear();
    return k;
  }

  async close(): Promise<void> {
    await this.spendThread?.close();
    await this.writer?.close();
    await this.checkpointer?.close();
    await this.controlThread?.close();
    this.db.close();
  }
}

/** WHERE clauses shared by every ledger query: customer and [from, to) on the request time. */
function filters(q: { customer?: string; from?: number; to?: number }) {
  const where: string[] = [];
  const params: Record<string, unknown> = {};
  if (q.customer !== undefined) {
    where.push('customer = @customer');
    params.customer = q.customer;
  }
  if (q.from !== undefined) {
    where.push('ts >= @from');
    params.from = q.from;
  }
  if (q.to !== undefined) {
    where.push('ts < @to');
    params.to = q.to;
  }
  return { where, params };
}
