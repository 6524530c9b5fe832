import type { LimitsConfig } from '../config/schema.js';
import type { EventRecord, LedgerRow, WalletEntry, WriteOp } from '../ledger/types.js';
import type { LedgerWriter } from '../ledger/writer.js';
import type { Clock } from '../util/clock.js';
import { usdToPico } from '../util/money.js';
import type { GatewayError } from '../wire/errors.js';
import type { ControlStore, CustomerRecord } from './control-store.js';
import { CustomerState, measureUsage, type Reservation, type WalletState } from './customer-state.js';
import { billingCycle, DAY_MS } from './cycle.js';
import { budgetEvent, type EventType, walletLowEvent } from './events.js';
import { budgetBusy, budgetRefusal, rateLimited, unpricedRefusal } from './gate-errors.js';
import { isAnomalous } from './pace.js';
import { type CallAmount, compilePlan, measure, needsPrice, type Plan } from './plan.js';
import { quotaHeaders } from './quota-view.js';
import { RateLimiter } from './rate-limiter.js';

const RECHECK_MS = 50;

export interface LimitsDeps {
  control: ControlStore;
  writer: LedgerWriter;
  clock: Clock;
  config: LimitsConfig;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

/** Who is calling, as far as limits are concerned; undefined when the customer has no plan and no wallet. */
export interface Policy {
  state: CustomerState;
  wallet: WalletState | undefined;
}

export interface ReserveRequest {
  id: string;
  keyId: string;
  /** The worst case of this call: every input token at its dearest class, plus max output. */
  worst: CallAmount;
  tpmTokens: number;
  /** The model the call goes to, for refusals that name it. */
  model: string;
  expiresAt: number;
  /** The largest max_tokens that would still fit, for the refusal message. */
  fittingMaxTokens: (room: bigint, plan: Plan) => number | undefined;
  /** A refusal naming a max_tokens that fits is retried with it (admit.ts), so it is not a 402 yet. */
  lowerOnRefusal?: boolean;
  /** Aborts when the caller gives up (its client left): a waiting call stops waiting, throwing the reason. */
  signal?: AbortSignal;
}

/**
 * Budgets, feature sub-quotas, prepaid wallets and rate limits for one gateway process. Check-and-reserve
 * runs without an await in between, so concurrent calls cannot both take the last of a budget; settled
 * spend and wallet movements are committed with the call's ledger row, so a restart rebuilds the same
 * numbers from the ledger. A call that does not fit only because of calls still in flight waits for them
 * to settle instead of being refused.
 */
export class LimitsEngine {
  private plans = new Map<string, Plan>();
  private customers = new Map<string, CustomerRecord>();
  private walletIds = new Set<string>();
  private readonly states = new Map<string, CustomerState>();
  private readonly loading = new Map<string, Promise<CustomerState>>();
  private readonly wallets = new Map<string, WalletState>();
  private readonly walletLoading = new Map<string, Promise<WalletState>>();
  private readonly outstanding = new Set<Reservation>();
  private waiters: (() => void)[] = [];
  private revision = -1;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;
  readonly rates: RateLimiter;
  private readonly walletLowDefault: bigint;

  constructor(private readonly deps: LimitsDeps) {
    this.rates = new RateLimiter(deps.clock);
    this.walletLowDefault = usdToPico(String(deps.config.walletLowUsd));
  }

  get upgradeUrl(): string | undefined {
    return this.deps.config.upgradeUrl;
  }

  get planList(): Iterable<Plan> {
    return this.plans.values();
  }

  /** Picks up control-plane changes (plans apply, set-plan, top-ups) made by any process; polled, cheap. */
  async refresh(force = false): Promise<void> {
    const t = performance.now();
    if (!force && t - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = t;
    if (this.refreshing) return this.refreshing;
    this.refreshing = this.reload().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async reload(): Promise<void> {
    const rev = await this.deps.control.revision();
    if (rev === this.revision) return;
    this.revision = rev;
    const plans = new Map<string, Plan>();
    for (const p of await this.deps.control.listPlans()) plans.set(p.name, compilePlan(p.name, p.spec));
    const customers = new Map<string, CustomerRecord>();
    for (const c of await this.deps.control.listCustomers()) customers.set(c.id, c);
    this.plans = plans;
    this.customers = customers;
    this.walletIds = new Set(await this.deps.control.listWallets());
    // Plan changes take effect at once: re-measure loaded customers in their (possibly new) plan.
    for (const state of this.states.values()) {
      const c = customers.get(state.customer);
      const plan = c?.plan ? plans.get(c.plan) : undefined;
      const now = this.deps.clock.now();
      const cycle = billingCycle(c?.cycleDay ?? 1, now);
      if (cycle.start !== state.cycle.start) {
        // A new cycle (or cycle day): start afresh on next use; calls in flight settle into the old one.
        this.states.delete(state.customer);
      } else if (plan !== state.plan || c?.wallet !== state.walletId) {
        if (plan?.name !== state.plan?.name) state.fired.clear(); // a new plan has its own thresholds
        state.plan = plan;
        state.walletId = c?.wallet ?? state.customer;
        state.remeasureReserved();
        await this.loadSpent(state);
      }
    }
    for (const w of this.wallets.values()) await this.loadWallet(w);
    this.pump();
  }

  /** The customer's limits, loading its cycle's spend from the ledger the first time. */
  async policy(customer: string): Promise<Policy | undefined> {
    await this.refresh();
    const c = this.customers.get(customer);
    if (!c) return undefined;
    const plan = c.plan ? this.plans.get(c.plan) : undefined;
    const hasWallet = this.walletIds.has(c.wallet);
    if (!plan && !hasWallet) return undefined;
    let state = this.states.get(customer);
    if (!state || this.deps.clock.now() >= state.cycle.end) state = await this.loadState(c, plan);
    const wallet = hasWallet ? await this.walletFor(c.wallet) : undefined;
    return { state, wallet };
  }

  private loadState(c: CustomerRecord, plan: Plan | undefined): Promise<CustomerState> {
    const busy = this.loading.get(c.id);
    if (busy) return busy;
    const p = (async () => {
      const now = this.deps.clock.now();
      const state = new CustomerState(c.id, plan, billingCycle(c.cycleDay, now), c.wallet);
      await this.loadSpent(state);
      const today = Math.floor(now / DAY_MS) * DAY_MS;
      // Past days in the plan's unit: the same measure as spend (credits from cost: runs are not split by day).
      if (plan)
        for (const d of await this.deps.control.usageByDay(c.id, today - 14 * DAY_MS, today + DAY_MS))
          state.daily.set(d.day, measureUsage(plan, { ...d, feature: '' }));
      this.states.set(c.id, state);
      return state;
    })().finally(() => this.loading.delete(c.id));
    this.loading.set(c.id, p);
    return p;
  }

  /** Spend from committed ledger rows plus rows still being written; applied as a delta so settles that
   * happen while the query is in flight are kept. */
  private async loadSpent(state: CustomerState): Promise<void> {
    const pending: CallAmount[] = [];
    const exclude: string[] = [];
    for (const op of this.deps.writer.inFlight()) {
      const r = op.request;
      if (!r) continue;
      exclude.push(r.id);
      if (r.customer === state.customer && r.ts >= state.cycle.start && r.ts < state.cycle.end)
        pending.push(amountOf(r));
    }
    const before = { spent: state.spent, byFeature: new Map(state.spentByFeature) };
    const usage = await this.deps.control.usageByFeature(
      state.customer,
      state.cycle.start,
      state.cycle.end,
      exclude,
    );
    const fresh = new CustomerState(state.customer, state.plan, state.cycle, state.walletId);
    fresh.loadSpent(usage, pending);
    state.spent += fresh.spent - before.spent;
    const features = new Set([...before.byFeature.keys(), ...fresh.spentByFeature.keys()]);
    for (const f of features) {
      const delta = (fresh.spentByFeature.get(f) ?? 0n) - (before.byFeature.get(f) ?? 0n);
      state.spentByFeature.set(f, (state.spentByFeature.get(f) ?? 0n) + delta);
    }
  }

  /** The wallet's state; published only once loaded, so no call ever sees a half-loaded balance. */
  private walletFor(id: string): Promise<WalletState> {
    const w = this.wallets.get(id);
    if (w) return Promise.resolve(w);
    const busy = this.walletLoading.get(id);
    if (busy) return busy;
    const fresh: WalletState = { id, balance: 0n, reserved: 0n, lastTopUpId: null };
    const p = this.loadWallet(fresh)
      .then(() => {
        this.wallets.set(id, fresh);
        return fresh;
      })
      .finally(() => this.walletLoading.delete(id));
    this.walletLoading.set(id, p);
    return p;
  }

  private async loadWallet(w: WalletState): Promise<void> {
    const exclude: string[] = [];
    let pending = 0n;
    for (const op of this.deps.writer.inFlight()) {
      if (!op.wallet) continue;
      exclude.push(op.wallet.id);
      if (op.wallet.wallet === w.id) pending += op.wallet.amountPico;
    }
    const before = w.balance;
    const committed = await this.deps.control.walletBalance(w.id, exclude);
    w.balance += committed + pending - before;
    w.lastTopUpId = await this.deps.control.lastTopUp(w.id);
  }

  /** The lane a call is sent to instead of `model`, when the customer is past its soft threshold or cap. */
  laneFor(policy: Policy, model: string): string | undefined {
    const { plan, spent } = policy.state;
    if (!plan || plan.cap === undefined) return undefined;
    if (plan.atCap === 'throttle' && spent >= plan.cap) return plan.throttleLanes.get(model);
    if (plan.softAt !== undefined && spent >= plan.softAt) return plan.softLanes.get(model);
    return undefined;
  }

  /**
   * Admission: rate limits, then the worst case against budget, feature sub-quota and wallet. Resolves
   * with the reservation once it is held; throws a GatewayError (402/429) otherwise.
   */
  async reserve(policy: Policy, req: ReserveRequest): Promise<Reservation> {
    const { state } = policy;
    const plan = state.plan;
    const now = this.deps.clock.now();
    if (policy.wallet && req.worst.costPico === null) throw unpricedRefusal(req.model, 'wallet');
    if (plan?.unit && needsPrice(plan, req.worst.feature) && req.worst.costPico === null)
      throw unpricedRefusal(req.model, plan.name);

    const buckets = this.buckets(state, req);
    const taken = this.rates.takeAll(buckets);
    if (!taken.ok) throw rateLimited(taken.retryAfterMs, plan, buckets);

    const deadline = performance.now() + this.deps.config.maxQueueWaitMs;
    for (;;) {
      const verdict = this.check(policy, req);
      if (verdict === 'fits') break;
      if (verdict !== 'wait') {
        this.giveBack(buckets);
        // Exhausted means not even a one-token answer fits (a smaller max_tokens is a different call).
        const fit = verdict.details?.suggested_max_tokens;
        if (verdict.code === 'budget_exceeded' && fit === undefined)
          this.fire(state, 'budget.exhausted', now);
        // Blocked: the first 402 the customer actually gets this cycle, whatever would still fit.
        if (verdict.status === 402 && !(req.lowerOnRefusal && fit !== undefined))
          this.fire(state, 'budget.blocked', now, undefined, {
            code: verdict.code,
            ...(fit === undefined ? {} : { suggested_max_tokens: fit }),
          });
        throw verdict;
      }
      const left = deadline - performance.now();
      const woken = left > 0 && (await this.waitForSettle(left, req.signal));
      if (req.signal?.aborted) {
        this.giveBack(buckets);
        throw req.signal.reason;
      }
      if (!woken) {
        this.giveBack(buckets);
        throw budgetBusy(plan);
      }
    }

    const r: Reservation = {
      id: req.id,
      customer: state.customer,
      keyId: req.keyId,
      worst: req.worst,
      walletPico: policy.wallet ? (req.worst.costPico ?? 0n) : 0n,
      tpmTokens: req.tpmTokens,
      state,
      wallet: policy.wallet,
      expiresAt: req.expiresAt,
      settled: false,
    };
    state.hold(r, 1n);
    state.outstanding.add(r);
    state.inflight++;
    if (policy.wallet) policy.wallet.reserved += r.walletPico;
    this.outstanding.add(r);
    return r;
  }

  /** 'fits' now; 'wait' for calls in flight to settle; or the refusal when it can never fit this cycle. */
  private check(policy: Policy, req: ReserveRequest): 'fits' | 'wait' | GatewayError {
    const { state, wallet } = policy;
    const plan = state.plan;
    const url = this.deps.config.upgradeUrl;
    let wait = false;
    if (plan?.cap !== undefined) {
      const need = measure(plan, req.worst);
      if (plan.atCap === 'block') {
        if (state.spent + need > plan.cap)
          return budgetRefusal('budget_exceeded', state, plan, need, req, url);
        if (state.spent + state.reserved + need > plan.cap) wait = true;
      } else if (plan.atCap === 'throttle' && state.spent >= plan.cap) {
        // Past the cap a throttled plan still serves, on its cheaper lane, this many calls at a time.
        if (state.inflight >= plan.throttleConcurrency) wait = true;
      }
      // Feature sub-quotas hold on every plan: they protect the budget's mix, not only its total.
      const fcap = plan.featureCaps.get(req.worst.feature);
      if (fcap !== undefined) {
        const fSpent = state.spentByFeature.get(req.worst.feature) ?? 0n;
        const fReserved = state.reservedByFeature.get(req.worst.feature) ?? 0n;
        if (fSpent + need > fcap) return budgetRefusal('feature_quota_exceeded', state, plan, need, req, url);
        if (fSpent + fReserved + need > fcap) wait = true;
      }
    }
    if (wallet) {
      const need = req.worst.costPico ?? 0n;
      if (need > wallet.balance)
        return budgetRefusal('wallet_insufficient', state, plan, need, req, url, wallet);
      if (wallet.reserved + need > wallet.balance) wait = true;
    }
    return wait ? 'wait' : 'fits';
  }

  /**
   * Settles a call to what it actually used and releases the rest: sync, so the counters move before the
   * next call is admitted. Idempotent. Returns what must commit with the call's ledger row.
   */
  settle(r: Reservation, row: LedgerRow): Pick<WriteOp, 'release' | 'wallet' | 'events'> {
    if (r.settled) return {};
    this.unhold(r);
    r.settled = true;
    const now = this.deps.clock.now();
    const { state } = r;
    const actual = amountOf(row);
    const events: EventRecord[] = [];
    const plan = state.plan;
    if (plan) {
      const v = measure(plan, actual);
      state.addSpent(actual.feature, v);
      const day = Math.floor(row.ts / DAY_MS) * DAY_MS;
      state.daily.set(day, (state.daily.get(day) ?? 0n) + v);
      if (plan.softAt !== undefined && state.spent >= plan.softAt)
        this.fire(state, 'budget.soft_reached', now, events);
      if (plan.cap !== undefined && state.spent >= plan.cap)
        this.fire(state, 'budget.exhausted', now, events);
      this.checkAnomaly(state, day, now, events);
    }
    let wallet: WalletEntry | undefined;
    if (r.wallet) {
      const cost = actual.costPico ?? r.worst.costPico ?? 0n;
      // Never overdrawn: the reservation held the worst case, so this only clips a provider over-report.
      const debit = cost > r.wallet.balance ? r.wallet.balance : cost;
      if (debit > 0n) {
        r.wallet.balance -= debit;
        wallet = {
          id: `wal_${row.id}`,
          wallet: r.wallet.id,
          ts: now,
          amountPico: -debit,
          reason: debit < cost ? 'usage (clipped at zero balance)' : 'usage',
          requestId: row.id,
          note: null,
        };
      }
      const low = plan?.walletLowPico ?? this.walletLowDefault;
      if (r.wallet.balance < low) {
        const e = walletLowEvent(state.customer, r.wallet, low, now);
        if (!state.fired.has(e.dedupeKey)) {
          state.fired.add(e.dedupeKey);
          events.push(e);
        }
      }
    }
    if (r.tpmTokens > 0 && plan) {
      const used = actual.tokens;
      const back = r.tpmTokens - used;
      if (back > 0) this.giveBack(this.buckets(state, { keyId: r.keyId, tpmTokens: back }, false));
    }
    this.pump();
    return { wallet, events: events.length ? events : undefined };
  }

  /** Drops a reservation's hold without charging (expiry of an orphan; the settle may still come). */
  private unhold(r: Reservation): void {
    if (!this.outstanding.delete(r)) return;
    r.state.hold(r, -1n);
    r.state.outstanding.delete(r);
    r.state.inflight--;
    if (r.wallet) r.wallet.reserved -= r.walletPico;
  }

  /** Releases reservations past their expiry (a call stuck beyond its provider's timeout). */
  expire(): number {
    const now = this.deps.clock.now();
    let n = 0;
    for (const r of this.outstanding) {
      if (r.expiresAt > now) continue;
      this.unhold(r);
      this.deps.log('reservation expired', { id: r.id, customer: r.customer });
      n++;
    }
    if (n) this.pump();
    return n;
  }

  private fire(
    state: CustomerState,
    type: EventType,
    now: number,
    into?: EventRecord[],
    extra?: Record<string, unknown>,
  ): void {
    if (state.fired.has(type)) return;
    state.fired.add(type);
    const e = budgetEvent(type, state, this.plans.values(), now, this.deps.config.upgradeUrl, extra);
    if (into) into.push(e);
    else void this.deps.writer.submit({ events: [e] });
  }

  private checkAnomaly(state: CustomerState, day: number, now: number, into: EventRecord[]): void {
    if (state.fired.has('usage.anomaly')) return;
    const today = state.daily.get(day) ?? 0n;
    const history: bigint[] = [];
    for (let d = day - 14 * DAY_MS; d < day; d += DAY_MS) history.push(state.daily.get(d) ?? 0n);
    if (!isAnomalous(today, history, this.deps.config.anomalyFactor)) return;
    state.fired.add('usage.anomaly');
    const typical = [...history].filter((v) => v > 0n).sort((a, b) => (a < b ? -1 : 1));
    into.push(
      budgetEvent('usage.anomaly', state, this.plans.values(), now, this.deps.config.upgradeUrl, {
        today: String(today),
        typical_day: String(typical[typical.length >> 1] ?? 0n),
        factor: this.deps.config.anomalyFactor,
      }),
    );
  }

  private buckets(
    state: CustomerState,
    req: Pick<ReserveRequest, 'keyId' | 'tpmTokens'>,
    withRequests = true,
  ): { key: string; perMinute: number; amount: number }[] {
    const rate = state.plan?.rate;
    if (!rate) return [];
    const out: { key: string; perMinute: number; amount: number }[] = [];
    const c = state.customer;
    if (rate.rpm && withRequests) out.push({ key: `c:${c}:rpm`, perMinute: rate.rpm, amount: 1 });
    if (rate.tpm) out.push({ key: `c:${c}:tpm`, perMinute: rate.tpm, amount: req.tpmTokens });
    if (rate.keyRpm && withRequests)
      out.push({ key: `k:${req.keyId}:rpm`, perMinute: rate.keyRpm, amount: 1 });
    if (rate.keyTpm) out.push({ key: `k:${req.keyId}:tpm`, perMinute: rate.keyTpm, amount: req.tpmTokens });
    return out;
  }

  private giveBack(buckets: { key: string; perMinute: number; amount: number }[]): void {
    for (const b of buckets) this.rates.give(b.key, b.perMinute, b.amount);
  }

  /** Waits until some reservation settles; false when the time is up or the caller gave up first. */
  private waitForSettle(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      const stop = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      };
      const timer = setTimeout(stop, ms);
      const wake = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        resolve(true);
      };
      signal?.addEventListener('abort', stop);
      this.waiters.push(wake);
    });
  }

  /** Wakes waiting calls in arrival order; each re-checks (in that order) whether it fits now. */
  private pump(): void {
    if (this.waiters.length === 0) return;
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Quota headers for a customer already loaded (e.g. on a refusal), without loading anything. */
  quotaHeaders(customer: string): Record<string, string> {
    const walletId = this.customers.get(customer)?.wallet;
    const state = this.states.get(customer);
    const h = quotaHeaders(state, walletId ? this.wallets.get(walletId) : undefined);
    return state ? Object.assign(h, this.rateHeaders(state)) : h;
  }

  /** Budget, wallet and rate-limit headers for an admitted call. */
  headersFor(r: Reservation): Record<string, string> {
    return Object.assign(quotaHeaders(r.state, r.wallet), this.rateHeaders(r.state));
  }

  /** The customer's rate-limit room, named as OpenAI names its own (x-ratelimit-*). */
  private rateHeaders(state: CustomerState): Record<string, string> {
    const rate = state.plan?.rate;
    const h: Record<string, string> = {};
    if (!rate) return h;
    const c = state.customer;
    if (rate.rpm) {
      const p = this.rates.peek(`c:${c}:rpm`, rate.rpm);
      h['x-ratelimit-limit-requests'] = String(rate.rpm);
      h['x-ratelimit-remaining-requests'] = String(p.remaining);
      h['x-ratelimit-reset-requests'] = `${Math.ceil(p.msUntilFull)}ms`;
    }
    if (rate.tpm) {
      const p = this.rates.peek(`c:${c}:tpm`, rate.tpm);
      h['x-ratelimit-limit-tokens'] = String(rate.tpm);
      h['x-ratelimit-remaining-tokens'] = String(p.remaining);
      h['x-ratelimit-reset-tokens'] = `${Math.ceil(p.msUntilFull)}ms`;
    }
    return h;
  }
}

/** A ledger row as an amount any plan can measure. */
export function amountOf(row: LedgerRow): CallAmount {
  const tokens =
    row.inputTokens +
    row.outputTokens +
    row.cacheWrite5mTokens +
    row.cacheWrite1hTokens +
    row.cacheReadTokens;
  return {
    feature: row.feature,
    costPico: row.costPico === null ? null : BigInt(row.costPico),
    tokens,
    billable: tokens > 0,
  };
}
