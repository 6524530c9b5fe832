// Exact decimal fractions for the simulator: value = num / 10^exp. Levers multiply costs by shares and
// factors given in basis points or parts per trillion; carrying the power of ten keeps every step exact,
// and money is rounded to the pico once, per customer-month.

export interface Exact {
  num: bigint;
  exp: number;
}

export const ZERO: Exact = { num: 0n, exp: 0 };
const POW10 = Array.from({ length: 64 }, (_, i) => 10n ** BigInt(i));
const pow10 = (n: number): bigint => POW10[n] ?? 10n ** BigInt(n);

export const exact = (v: bigint, exp = 0): Exact => ({ num: v, exp });

export function add(a: Exact, b: Exact): Exact {
  if (a.exp === b.exp) return { num: a.num + b.num, exp: a.exp };
  return a.exp > b.exp
    ? { num: a.num + b.num * pow10(a.exp - b.exp), exp: a.exp }
    : { num: a.num * pow10(b.exp - a.exp) + b.num, exp: b.exp };
}

export const sum = (xs: Iterable<Exact>): Exact => {
  let s = ZERO;
  for (const x of xs) s = add(s, x);
  return s;
};

/** a × (factor / 10^factorExp). */
export const mul = (a: Exact, factor: bigint, factorExp = 0): Exact => ({
  num: a.num * factor,
  exp: a.exp + factorExp,
});

/** Rounded half up (away from zero for the positive values used here) to a whole number. */
export function round(a: Exact): bigint {
  const d = pow10(a.exp);
  return a.num >= 0n ? (2n * a.num + d) / (2n * d) : -((-2n * a.num + d) / (2n * d));
}

/** Rounded up to a whole number (caps and money are never understated). */
export function ceil(a: Exact): bigint {
  const d = pow10(a.exp);
  return a.num >= 0n ? (a.num + d - 1n) / d : -(-a.num / d);
}

/** Compares a with a whole number b: -1, 0 or 1. */
export function cmpWhole(a: Exact, b: bigint): number {
  const bb = b * pow10(a.exp);
  return a.num < bb ? -1 : a.num > bb ? 1 : 0;
}

/** A decimal string with at most `maxDecimals` places, e.g. "0.6" as 6000 with exp 4 (basis points). */
export function decimalToScaled(text: string, exp: number): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a plain decimal: ${text}`);
  const frac = m[2] ?? '';
  if (frac.replace(/0+$/, '').length > exp) throw new Error(`more than ${exp} decimals: ${text}`);
  return BigInt(m[1] ?? '0') * pow10(exp) + BigInt(frac.padEnd(exp, '0').slice(0, exp) || '0');
}

/**
 * (1 − num/den) as a percentage with two decimals, rounded half away from zero: "60.88", "-12.50".
 * null when den is 0 (no price, no revenue: no margin to show).
 */
export function marginPercent(num: bigint, den: bigint): string | null {
  if (den === 0n) return null;
  return percentText((den - num) * 10_000n, den);
}

/** num/den as a percentage with two decimals, e.g. percentText(1n * 10000n, 3n) → "33.33". */
export function percentText(scaledNum: bigint, den: bigint): string {
  const neg = scaledNum < 0n !== den < 0n && scaledNum !== 0n;
  const n = scaledNum < 0n ? -scaledNum : scaledNum;
  const d = den < 0n ? -den : den;
  const hundredths = (2n * n + d) / (2n * d);
  const text = `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
  return neg && hundredths !== 0n ? `-${text}` : text;
}
