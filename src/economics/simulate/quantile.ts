// Tasks per month from a few percentile points ({p50: 150, p90: 900, p99: 4000}). Method: piecewise
// log-linear interpolation in normal-score space — ln(tasks) is linear in z = Φ⁻¹(p) between adjacent
// points and the end segments extend beyond them. Between points this is exact interpolation; with two
// points (or a consistent set) it IS the lognormal through them, and its tails are lognormal tails.

/** Φ⁻¹(p) by Acklam's rational approximation (relative error below 1.2e-9), refined by one Halley step. */
export function inverseNormal(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`inverseNormal: p must be in (0, 1) (got ${p})`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  let x: number;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lo) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  return x;
}

/** The quantile function through the given points: u in (0, 1) → tasks (a positive real). */
export function quantileFromPercentiles(points: Record<string, number>): (u: number) => number {
  const pts = Object.entries(points)
    .map(([k, v]) => ({ z: inverseNormal(Number(k.slice(1)) / 100), ln: Math.log(v) }))
    .sort((a, b) => a.z - b.z);
  if (pts.length === 1) {
    const only = Math.exp(pts[0]!.ln);
    return () => only;
  }
  return (u) => {
    const z = inverseNormal(u);
    // The segment containing z, or the end segment nearest to it.
    let i = 0;
    while (i < pts.length - 2 && z > pts[i + 1]!.z) i++;
    const p0 = pts[i]!;
    const p1 = pts[i + 1]!;
    const slope = p1.z === p0.z ? 0 : (p1.ln - p0.ln) / (p1.z - p0.z);
    return Math.exp(p0.ln + slope * (z - p0.z));
  };
}

/** mulberry32: a small, fast, seeded PRNG; the same seed gives the same sequence on every machine. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
