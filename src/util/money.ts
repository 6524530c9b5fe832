// Money is integer pico-USD (1e-12 USD): catalog prices ($/MTok) with up to six decimals become exact
// integers per token, and a row's cost is an exact integer product. Sums go through BigInt.
export const PICO_PER_USD = 1_000_000_000_000n;

/** Parse a decimal string or number of USD per million tokens into integer pico-USD per token. */
export function mtokToPicoPerToken(usdPerMtok: number): number {
  // $/MTok × 1e6 = pico-USD/token; rounding removes binary float noise (0.15 × 1e6 = 150000.00000000003).
  return Math.round(usdPerMtok * 1_000_000);
}

/** Render integer pico-USD as an exact decimal USD string, e.g. 1500000n → "0.0000015". */
export function picoToUsd(pico: bigint | number): string {
  const v = BigInt(pico);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = abs / PICO_PER_USD;
  const frac = (abs % PICO_PER_USD).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** Parse an exact decimal USD string into pico-USD; throws on anything that is not a plain decimal. */
export function usdToPico(usd: string): bigint {
  const m = /^(-)?(\d+)(?:\.(\d{1,12}))?$/.exec(usd.trim());
  if (!m) throw new Error(`not a decimal USD amount: ${JSON.stringify(usd)}`);
  const frac = (m[3] ?? '').padEnd(12, '0');
  const v = BigInt(m[2] ?? '0') * PICO_PER_USD + BigInt(frac);
  return m[1] ? -v : v;
}
