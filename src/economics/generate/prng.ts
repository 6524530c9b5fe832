// A small seeded PRNG (sfc32, 128-bit state) and the few distributions the generator draws from.
// Deterministic for a seed on every platform: integer arithmetic only until the final division.

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** Seeds sfc32 from a string or number through a 32-bit string hash (FNV-1a), warming it up. */
export function createRng(seed: string | number): Rng {
  let h = 0x811c9dc5;
  for (const ch of String(seed)) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let a = h ^ 0x9e3779b9;
  let b = h ^ 0x243f6a88;
  let c = h ^ 0xb7e15162;
  let d = 1;
  const next = (): number => {
    // sfc32: a small, fast generator with good statistical quality (PractRand-clean to 2^40+ bytes).
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 16; i++) next();
  return { next };
}

/** A child generator for one purpose, so adding draws in one place does not shift every other. */
export function forkRng(rng: Rng, label: string): Rng {
  return createRng(`${Math.floor(rng.next() * 4_294_967_296)}:${label}`);
}

/** Standard normal (Box–Muller; one of the pair is dropped for simplicity). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) never happens
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** An integer in [0, n). */
export const intBelow = (rng: Rng, n: number): number => Math.floor(rng.next() * n);

/** Picks an index by cumulative weights (ascending, last = total); linear: for short lists. */
export function pickCumulative(rng: Rng, cumulative: ArrayLike<number>): number {
  const x = rng.next() * (cumulative[cumulative.length - 1] ?? 0);
  for (let i = 0; i < cumulative.length; i++) if (x < (cumulative[i] ?? 0)) return i;
  return cumulative.length - 1;
}

/** Running sums of weights, for pickCumulative. */
export function cumulate(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let s = 0;
  weights.forEach((w, i) => {
    s += w;
    out[i] = s;
  });
  return out;
}
