import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import type { LimitsConfig } from '../config/schema.js';
import type { CallJournal } from '../journal/request-journal.js';
import type { KeyStore } from '../ledger/types.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { Reservation } from '../limits/customer-state.js';
import type { LimitsEngine } from '../limits/engine.js';
import type { PriceCatalog } from '../pricing/catalog.js';
import type { ProviderRegistry, Target } from '../providers/registry.js';
import type { Clock } from '../util/clock.js';
import type { Json } from '../wire/json.js';
import type { WireProtocol } from '../wire/protocol.js';

/** What the pipeline's stages share; built once at start-up. */
export interface GatewayDeps {
  registry: ProviderRegistry;
  catalog: PriceCatalog;
  writer: LedgerWriter;
  journal: CallJournal;
  keys: KeyStore;
  clock: Clock;
  dispatcher: Dispatcher;
  limits: LimitsEngine;
  limitsConfig: LimitsConfig;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface Identity {
  keyId: string;
  customer: string;
  feature: string;
  /** Request tags from `x-margin-tags` (see tags.ts); absent when none. */
  tags?: readonly string[];
}

/** One call as it moves through the stages. */
export interface CallContext {
  id: string;
  /** Epoch ms from the injected clock: the time prices are looked up at. */
  startedAt: number;
  /** performance.now() at arrival, for latency. */
  t0: number;
  protocol: WireProtocol;
  identity: Identity;
  clientHeaders: IncomingHttpHeaders;
  body: Json;
  rawBody: Buffer;
  modelRequested: string;
  stream: boolean;
  target: Target;
  /** The gateway added stream usage reporting the client did not ask for. */
  injectedUsage: boolean;
  /** The request's max_tokens (or max_completion_tokens), when set. */
  maxOutputTokens: number | undefined;
  /** Set when admission sent the call to a cheaper lane than the model requested. */
  modelRouted?: string;
  /** Admission's upper bound of the input tokens (set only for calls admitted against limits). */
  inputTokensBound?: number;
  /** The budget/wallet reservation this call holds until it settles. */
  admission?: Reservation;
  /** Set once the call's outcome went to settle (see record.ts). */
  settled?: boolean;
}
