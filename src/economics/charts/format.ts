// Display text for axes and labels. Charts round for the eye; tables next to them keep the exact text.
import { PICO_PER_USD, usdToPico } from '../../util/money.js';
import type { Money, Percent } from './types.js';

/** Exact pico-USD of a validated money value. */
export function toPico(m: Money): bigint {
  return typeof m === 'bigint' ? m : usdToPico(m);
}

/** USD as a float, for positions on an axis only (never summed). */
export function picoToNumber(pico: bigint): number {
  const whole = pico / PICO_PER_USD;
  return Number(whole) + Number(pico - whole * PICO_PER_USD) / 1e12;
}

export function percentToNumber(p: Percent): number {
  return typeof p === 'number' ? p : Number(p);
}

/** "$1,234.50", "$12.30", "$0.50": cents from ten cents up; three significant digits below ("$0.0123"). */
export function usdLabel(usd: number): string {
  if (usd === 0) return '$0';
  const abs = Math.abs(usd);
  const sign = usd < 0 ? '-' : '';
  // 0.0999996 rounds to cents as $0.10, not to three digits as $0.1.
  if (abs >= 0.0995) {
    return `${sign}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  }
  return `${sign}$${Number(abs.toPrecision(3))}`;
}

/** Axis ticks: "$0.01", "$1", "$10", "$1,000", "$2.5" — no trailing zeros, float noise removed. */
export function usdTick(usd: number): string {
  const v = Number(usd.toPrecision(12));
  const abs = Math.abs(v);
  const text = abs >= 1 ? abs.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(abs);
  return `${v < 0 ? '-' : ''}$${text}`;
}

/** "68.25%" (0.01 precision, as the report prints percentages). */
export function pctLabel(p: number): string {
  return `${Number(p.toFixed(2))}%`;
}

/** A value axis with round ticks covering [low, high]: interval 1, 2, 2.5 or 5 × 10^k, about 5–8 ticks. */
export function niceAxis(low: number, high: number): { min: number; max: number; interval: number } {
  const span = Math.max(high - low, 1e-9);
  const raw = span / 6;
  const p = 10 ** Math.floor(Math.log10(raw));
  const interval = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  return { min: Math.floor(low / interval) * interval, max: Math.ceil(high / interval) * interval, interval };
}
