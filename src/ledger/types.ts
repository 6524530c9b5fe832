import type { ControlStore } from '../limits/control-store.js';

/** One metered call. Token counts are disjoint (see pricing/usage.ts); money is integer pico-USD. */
export interface LedgerRow {
  id: string;
  ts: number; // epoch ms when the request arrived
  customer: string;
  keyId: string;
  feature: string;
  provider: string;
  protocol: string;
  modelRequested: string;
  modelServed: string | null;
  /** The model the gateway sent upstream when it differs from the requested one (a cheaper lane). */
  modelRouted: string | null;
  inputTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
  /** null when unpriced: an unknown price is never recorded as $0. */
  costPico: number | null;
  unpriced: boolean;
  estimated: boolean;
  /** Served from Margin's own response cache (no upstream call). */
  cacheHit: boolean;
  status: number;
  errorCode: string | null;
  latencyMs: number;
  ttftMs: number | null;
  streamed: boolean;
  /** Request tags (`x-margin-tags: a,b`, or an imported row's `tags`); absent or empty when none. */
  tags?: readonly string[];
}

/** The fields that name a call in every record of it (ledger row, journal begin, orphan). */
export type CallHeader = Pick<
  LedgerRow,
  'id' | 'ts' | 'customer' | 'keyId' | 'feature' | 'provider' | 'protocol' | 'modelRequested' | 'tags'
>;

export interface RequestQuery {
  customer?: string;
  from?: number;
  to?: number;
  limit?: number;
  /** Keyset pagination: rows strictly older than this request id. */
  before?: string;
}

export type UsageDimension = 'customer' | 'feature' | 'model' | 'provider' | 'day';

export interface UsageQuery {
  customer?: string;
  from?: number;
  to?: number;
  by: UsageDimension;
}

export interface UsageGroup {
  key: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costPico: bigint;
  unpricedRequests: number;
  estimatedRequests: number;
  errorRequests: number;
}

/** A movement of a prepaid wallet, in pico-USD: positive for top-ups, negative for usage. */
export interface WalletEntry {
  id: string;
  wallet: string;
  ts: number;
  amountPico: bigint;
  reason: string;
  requestId: string | null;
  note: string | null;
}

/** A budget reservation in flight, journaled so a crash cannot lose it (see limits/recovery.ts). */
export interface ReservationRecord {
  id: string;
  customer: string;
  createdAt: number;
  expiresAt: number;
  /** JSON of limits/reservation.ts's ReservationSpec. */
  spec: string;
}

/** An event for the outbox; dedupeKey makes "once per cycle per threshold" a unique constraint. */
export interface EventRecord {
  id: string;
  type: string;
  customer: string;
  ts: number;
  dedupeKey: string;
  payload: string;
}

/**
 * One unit of the write path: what a stage commits together, in one transaction with the rest of its
 * batch — e.g. a call's ledger row, the release of its reservation, its wallet debit and its events.
 */
export interface WriteOp {
  request?: LedgerRow;
  reserve?: ReservationRecord;
  release?: string;
  wallet?: WalletEntry;
  events?: EventRecord[];
}

/** The ledger's storage. SQLite now; Postgres implements the same interface and conformance suite. */
export interface LedgerStore {
  /** Appends rows atomically and durably (resolves only once committed). */
  append(rows: readonly LedgerRow[]): Promise<void>;
  /** Applies write ops in one transaction, durably; each op is idempotent (safe to retry). */
  write(ops: readonly WriteOp[]): Promise<void>;
  requests(q: RequestQuery): Promise<LedgerRow[]>;
  usage(q: UsageQuery): Promise<UsageGroup[]>;
}

export interface VirtualKeyRecord {
  id: string;
  hash: string;
  prefix: string;
  kind: 'customer' | 'app';
  customer: string | null;
  name: string | null;
  createdAt: number;
  revokedAt: number | null;
}

export interface KeyStore {
  insertKey(k: VirtualKeyRecord): Promise<void>;
  findKeyByHash(hash: string): Promise<VirtualKeyRecord | undefined>;
  listKeys(opts?: { customer?: string; includeRevoked?: boolean }): Promise<VirtualKeyRecord[]>;
  /** Revokes by id or prefix; returns the revoked key or undefined when none matched. */
  revokeKey(idOrPrefix: string, at: number): Promise<VirtualKeyRecord | undefined>;
}

export interface Store extends LedgerStore, KeyStore {
  readonly control: ControlStore;
  close(): Promise<void>;
}
