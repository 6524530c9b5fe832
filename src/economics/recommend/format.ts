// Text for the arithmetic lines: exact money, grouped integers, and fractions shown to a few decimals
// with "≈" when the decimal is not exact.

import { picoToUsd } from '../../util/money.js';

/** Exact dollars, at least to the cent: 1800000000000n → "$1.80", 333334000000n → "$0.333334". */
export function usd(pico: bigint): string {
  const [whole, frac = ''] = picoToUsd(pico).split('.');
  return `$${whole}.${frac.padEnd(2, '0')}`;
}

/** 1234567 → "1,234,567". */
export function grouped(n: bigint | number): string {
  const s = BigInt(n).toString();
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** num ÷ den (non-negative) to at most `decimals` places, rounded half up, "≈" in front when inexact. */
export function fraction(num: bigint, den: bigint, decimals: number): string {
  if (den === 0n) return '—';
  const scale = 10n ** BigInt(decimals);
  const scaled = num * scale;
  const exact = scaled % den === 0n;
  const q = (scaled * 2n + den) / (2n * den);
  const whole = grouped(q / scale);
  const frac = (q % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${exact ? '' : '≈'}${whole}${frac ? `.${frac}` : ''}`;
}

/** Epoch ms of a month's first day → "2026-11". */
export function monthLabel(month: number): string {
  return new Date(month).toISOString().slice(0, 7);
}

/** A customer-month's label: its calendar month, or "synthetic" for a scenario's (numbered from 0). */
export const usageMonthLabel = (r: { scenario?: string }, month: number): string =>
  r.scenario !== undefined ? 'synthetic' : monthLabel(month);
