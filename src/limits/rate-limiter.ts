// In-process token buckets for RPM and TPM: RPM = take(key, rpm, 1), TPM = take(key, tpm, tokens).
// A bucket holds up to perMinute tokens and refills continuously, a whole bucket per minute.
//
// Exact integer arithmetic: levels are stored in units of 1/60000 token, so a bucket's capacity is
// perMinute × 60000 units and it refills by exactly perMinute units per ms — no fractions, no drift.
//
// Bounded memory: a missing key means a full bucket. A bucket that is full again is deleted when next
// seen, and a sweep deletes every bucket that has refilled. The next sweep comes after as many operations
// as the map held after this one (at least SWEEP_MIN_OPS): each adds at most one bucket, so the map stays
// within about twice the keys active in the last minute (plus SWEEP_MIN_OPS), and a sweep's cost is
// paid for by the operations before it — O(1) amortized. (A threshold tracking the live size would never
// be reached while every operation adds a new key.)
import type { Clock } from '../util/clock.js';

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number; never: boolean };

export interface BucketSpec {
  key: string;
  perMinute: number;
  amount: number;
}

export interface BucketPeek {
  remaining: number; // whole tokens available now
  msUntilFull: number; // 0 when full
}

const UNITS_PER_TOKEN = 60_000; // = ms per minute, so refill is perMinute units per ms
const MINUTE_MS = 60_000;
const SWEEP_MIN_OPS = 1024;
// Largest perMinute whose capacity in units is still an exact double.
const MAX_PER_MINUTE = Math.floor(Number.MAX_SAFE_INTEGER / UNITS_PER_TOKEN);

interface Bucket {
  units: number; // level at `at`
  at: number; // epoch ms of the last refill
  perMinute: number; // the rate last used, for the sweep
}

function checkRate(perMinute: number): void {
  if (!Number.isInteger(perMinute) || perMinute < 1 || perMinute > MAX_PER_MINUTE) {
    throw new RangeError(`perMinute must be an integer 1..${MAX_PER_MINUTE}, got ${perMinute}`);
  }
}

function checkAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw new RangeError(`amount must be a non-negative integer, got ${amount}`);
  }
}

export class RateLimiter {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, Bucket>();
  #opsSinceSweep = 0;
  #sweepAfterOps = SWEEP_MIN_OPS;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Take `amount` tokens from one bucket, or nothing. */
  take(key: string, perMinute: number, amount: number): TakeResult {
    return this.takeAll([{ key, perMinute, amount }]);
  }

  /**
   * Take from every bucket or from none. Refused: retryAfterMs is the longest wait among the buckets
   * (after it, all of them would fit, if nothing else takes meanwhile). `never` means some request is
   * larger than its whole bucket and can never fit; retryAfterMs is then a nominal minute.
   */
  takeAll(specs: readonly BucketSpec[]): TakeResult {
    const now = this.#clock.now();
    // The same key twice (e.g. two limits sharing a bucket) must be charged the sum.
    const wanted = new Map<string, { perMinute: number; amount: number }>();
    for (const { key, perMinute, amount } of specs) {
      checkRate(perMinute);
      checkAmount(amount);
      const prev = wanted.get(key);
      if (prev && prev.perMinute !== perMinute) {
        throw new RangeError(
          `bucket ${JSON.stringify(key)} given two rates: ${prev.perMinute}, ${perMinute}`,
        );
      }
      wanted.set(key, { perMinute, amount: (prev?.amount ?? 0) + amount });
    }
    let retryAfterMs = 0;
    for (const [key, { perMinute, amount }] of wanted) {
      if (amount > perMinute) return { ok: false, retryAfterMs: MINUTE_MS, never: true };
      const deficit = amount * UNITS_PER_TOKEN - this.#level(key, perMinute, now);
      if (deficit > 0) retryAfterMs = Math.max(retryAfterMs, Math.ceil(deficit / perMinute));
    }
    if (retryAfterMs > 0) return { ok: false, retryAfterMs, never: false };
    for (const [key, { perMinute, amount }] of wanted) {
      if (amount === 0) continue; // leave a full (absent) bucket absent
      this.#store(key, perMinute, now, this.#level(key, perMinute, now) - amount * UNITS_PER_TOKEN);
    }
    this.#tick(now);
    return { ok: true };
  }

  /** Return unused tokens (a TPM reservation settled to fewer actual tokens); never above capacity. */
  give(key: string, perMinute: number, amount: number): void {
    checkRate(perMinute);
    checkAmount(amount);
    const now = this.#clock.now();
    const capacity = perMinute * UNITS_PER_TOKEN;
    // min() before multiplying keeps amount × 60000 exact.
    const units = Math.min(
      capacity,
      this.#level(key, perMinute, now) + Math.min(amount, perMinute) * UNITS_PER_TOKEN,
    );
    this.#store(key, perMinute, now, units);
    this.#tick(now);
  }

  /** Tokens left now and the ms until the bucket is full again, for rate-limit response headers. */
  peek(key: string, perMinute: number): BucketPeek {
    checkRate(perMinute);
    const units = this.#level(key, perMinute, this.#clock.now());
    return {
      remaining: Math.floor(units / UNITS_PER_TOKEN),
      msUntilFull: Math.ceil((perMinute * UNITS_PER_TOKEN - units) / perMinute),
    };
  }

  /** Buckets held in memory (full buckets are not held). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Level in units at `now`, refilled; a missing bucket is full. Does not write. */
  #level(key: string, perMinute: number, now: number): number {
    const capacity = perMinute * UNITS_PER_TOKEN;
    const b = this.#buckets.get(key);
    if (!b) return capacity;
    // A full refill never takes more than a minute, so capping elapsed keeps elapsed × perMinute exact.
    // A clock that steps backwards refills nothing (rather than a negative amount).
    const elapsed = Math.min(MINUTE_MS, Math.max(0, now - b.at));
    // min with capacity also applies a lowered rate (config reload) to an existing bucket.
    return Math.min(capacity, b.units + elapsed * perMinute);
  }

  #store(key: string, perMinute: number, now: number, units: number): void {
    if (units >= perMinute * UNITS_PER_TOKEN) {
      this.#buckets.delete(key);
      return;
    }
    const prev = this.#buckets.get(key);
    // Never move `at` backwards, or a stepped-back clock would grant the same refill twice.
    this.#buckets.set(key, { units, at: Math.max(now, prev?.at ?? now), perMinute });
  }

  #tick(now: number): void {
    if (++this.#opsSinceSweep < this.#sweepAfterOps) return;
    for (const [key, b] of this.#buckets) {
      if (this.#level(key, b.perMinute, now) >= b.perMinute * UNITS_PER_TOKEN) this.#buckets.delete(key);
    }
    this.#opsSinceSweep = 0;
    this.#sweepAfterOps = Math.max(SWEEP_MIN_OPS, this.#buckets.size);
  }
}
