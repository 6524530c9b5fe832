import { usdToPico } from '../../util/money.js';

const DECIMAL = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * An amount of USD written as decimal text (`0.0123`, `1.5e-7`, what JSON and CSV exports hold) to integer
 * pico-USD, exactly: the digits are shifted as text, never multiplied as a float. Digits beyond the
 * twelfth decimal (a float's noise, e.g. `0.30000000000000004`) are rounded half up to the pico-dollar.
 * Returns undefined for anything that is not a plain decimal number.
 */
export function decimalUsdToPico(text: string): bigint | undefined {
  const m = DECIMAL.exec(text.trim());
  if (!m) return undefined;
  const whole = m[2] ?? '';
  const frac = m[3] ?? '';
  if (whole === '' && frac === '') return undefined;
  const exp = Number(m[4] ?? '0');
  if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return undefined;
  // All digits as one integer, with the decimal point `point` places from the left.
  const digits = `${whole}${frac}`;
  const point = whole.length + exp;
  let intPart: string;
  let fracPart: string;
  if (point <= 0) {
    intPart = '0';
    fracPart = '0'.repeat(-point) + digits;
  } else if (point >= digits.length) {
    intPart = digits + '0'.repeat(point - digits.length);
    fracPart = '';
  } else {
    intPart = digits.slice(0, point);
    fracPart = digits.slice(point);
  }
  const kept = fracPart.slice(0, 12);
  const roundUp = (fracPart[12] ?? '0') >= '5';
  let pico = usdToPico(`${intPart || '0'}.${kept || '0'}`);
  if (roundUp) pico += 1n;
  return m[1] === '-' ? -pico : pico;
}

/** The same for a number already parsed (a JSON number): its shortest round-trip text is what was written. */
export function usdValueToPico(v: unknown): bigint | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? decimalUsdToPico(String(v)) : undefined;
  if (typeof v === 'string') return decimalUsdToPico(v);
  return undefined;
}
