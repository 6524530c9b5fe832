// The per-customer monthly overhead (config `economics.overheadPerCustomerUsd`, default 0), read
// defensively: the economics block may come from another branch's schema as a number or decimal text.

import { usdToPico } from '../../util/money.js';

export function overheadPicoFrom(config: unknown): bigint {
  const v = (config as { economics?: { overheadPerCustomerUsd?: unknown } } | undefined)?.economics
    ?.overheadPerCustomerUsd;
  if (v === undefined || v === null) return 0n;
  const text = typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v.toFixed(12) : String(v);
  try {
    const pico = usdToPico(text);
    if (pico >= 0n) return pico;
  } catch {}
  throw new Error(
    `economics.overheadPerCustomerUsd: must be a non-negative USD amount (got ${JSON.stringify(v)})`,
  );
}
