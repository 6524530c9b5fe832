import { randomBytes } from 'node:crypto';
import { isValidId } from '../identity/virtual-keys.js';
import type { WalletEntry } from '../ledger/types.js';
import { usdToPico } from '../util/money.js';
import type { ControlStore, CustomerChange, CustomerRecord } from './control-store.js';
import type { PlanSpec } from './plan-schema.js';

// Control-plane actions shared by the CLI and the admin API, so both validate the same way.

export async function applyPlans(control: ControlStore, plans: Record<string, PlanSpec>, now: number) {
  await control.upsertPlans(plans, now);
  return control.listPlans();
}

/** Below this many USD a month, so any sum of MRRs stays far inside SQLite's 64-bit pico-USD. */
const MAX_MRR_USD = 1_000_000;

/**
 * A monthly revenue (MRR) in USD as exact decimal text or a number → pico-USD. The error names `field`.
 * "none" or null clears it (back to the plan's price).
 */
export function parseMrrUsd(field: string, v: unknown): bigint | null {
  if (v === null || v === 'none') return null;
  const text = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof text !== 'string' || !/^\d+(\.\d{1,12})?$/.test(text.trim()))
    throw new Error(
      `${field}: must be a non-negative decimal number of USD with at most 12 decimals, or none (got ${JSON.stringify(v)})`,
    );
  const pico = usdToPico(text);
  if (pico >= BigInt(MAX_MRR_USD) * 1_000_000_000_000n)
    throw new Error(`${field}: must be below ${MAX_MRR_USD} USD a month (got ${text.trim()})`);
  return pico;
}

/** A plan change's effective time: not in the future (history is what happened, not a schedule). */
export function checkSince(field: string, since: number | undefined, now: number): number | undefined {
  if (since === undefined) return undefined;
  if (!Number.isSafeInteger(since) || since < 0)
    throw new Error(`${field}: must be a date/time after 1970 (ISO-8601 or epoch ms)`);
  if (since > now)
    throw new Error(`${field}: must not be in the future (got ${new Date(since).toISOString()})`);
  return since;
}

export async function setCustomerPlan(
  control: ControlStore,
  c: CustomerChange,
  now: number,
): Promise<CustomerRecord> {
  if (!isValidId(c.id))
    throw new Error('customer: must be 1–128 characters of letters, digits and . _ : @ -');
  checkSince('since', c.since, now);
  if (c.cycleDay !== undefined && (!Number.isInteger(c.cycleDay) || c.cycleDay < 1 || c.cycleDay > 31))
    throw new Error(`cycle_day: must be an integer from 1 to 31 (got ${c.cycleDay})`);
  if (c.wallet !== undefined && !isValidId(c.wallet))
    throw new Error('wallet: must be 1–128 characters of letters, digits and . _ : @ -');
  return control.setCustomer(c, now);
}

/** Adds prepaid balance to a customer's wallet; the movement is a ledger entry with its reason. */
export async function topUpWallet(
  control: ControlStore,
  customer: string,
  amountUsd: string,
  opts: { reason?: string; note?: string },
  now: number,
): Promise<{ entry: WalletEntry; balancePico: bigint }> {
  if (!/^\d+(\.\d{1,12})?$/.test(amountUsd.trim()))
    throw new Error(
      `amount_usd: must be a positive decimal number of USD (got ${JSON.stringify(amountUsd)})`,
    );
  const amountPico = usdToPico(amountUsd);
  if (amountPico <= 0n) throw new Error('amount_usd: must be greater than 0');
  const c = (await control.getCustomer(customer)) ?? (await setCustomerPlan(control, { id: customer }, now));
  const entry: WalletEntry = {
    id: `wal_${now.toString(36)}${randomBytes(6).toString('hex')}`,
    wallet: c.wallet,
    ts: now,
    amountPico,
    reason: opts.reason ?? 'top_up',
    requestId: null,
    note: opts.note ?? null,
  };
  await control.addWalletEntry(entry);
  return { entry, balancePico: await control.walletBalance(c.wallet, []) };
}
