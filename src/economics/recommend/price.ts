// Tier prices: the smallest whole-dollar price ending in 9 whose margin over a loaded cost meets the target.
// All integer arithmetic: (price − loaded) ÷ price ≥ m  ⇔  price × (1 − m) ≥ loaded.

import { PICO_PER_USD } from '../../util/money.js';

/** The cheapest price offered: 19, 29, …, 99, 109, … (the playbooks' list starts at 19). */
export const MIN_PRICE_USD = 19n;
const BP = 10_000n;

/** Parses a target margin given as a fraction (0.7) into basis points of 0.01% (7000); the error names the field. */
export function parseTargetMargin(field: string, v: string | number | undefined, fallback = 7000): number {
  if (v === undefined || v === '') return fallback;
  const text = typeof v === 'number' ? String(v) : v.trim();
  const m = /^0?\.(\d{1,4})$|^0$/.exec(text);
  if (!m)
    throw new Error(
      `${field}: must be a fraction from 0 to below 1, at most 4 decimals, e.g. 0.7 (got ${JSON.stringify(String(v))})`,
    );
  return Number((m[1] ?? '').padEnd(4, '0') || '0');
}

/** The lowest whole-dollar price with margin ≥ target, before the ending-in-9 rule (may be 0). */
export function minimumPriceUsd(loadedPico: bigint, targetMarginBp: number): bigint {
  const keep = BP - BigInt(targetMarginBp);
  const den = keep * PICO_PER_USD;
  return (loadedPico * BP + den - 1n) / den;
}

/** The smallest price ending in 9, at least MIN_PRICE_USD, whose margin over `loadedPico` is ≥ the target. */
export function priceEndingIn9(loadedPico: bigint, targetMarginBp: number): bigint {
  if (!(targetMarginBp >= 0 && targetMarginBp < 10_000 && Number.isInteger(targetMarginBp)))
    throw new Error(`target margin: must be 0 to 9999 basis points (got ${targetMarginBp})`);
  let p = minimumPriceUsd(loadedPico, targetMarginBp);
  if (p < MIN_PRICE_USD) p = MIN_PRICE_USD;
  return p + ((19n - (p % 10n)) % 10n);
}

/** (price − loaded) ÷ price in hundredths of a percent, rounded down (so a met target never reads as missed). */
export function marginBp(priceUsd: bigint, loadedPico: bigint): bigint {
  const price = priceUsd * PICO_PER_USD;
  if (price === 0n) return 0n;
  const v = (price - loadedPico) * BP;
  const q = v / price;
  return v < 0n && q * price !== v ? q - 1n : q;
}

/** Basis points as a percentage with two decimals: 7000 → "70.00%". */
export function formatBp(bp: bigint | number): string {
  const v = BigInt(bp);
  const neg = v < 0n;
  const a = neg ? -v : v;
  return `${neg ? '-' : ''}${a / 100n}.${(a % 100n).toString().padStart(2, '0')}%`;
}
