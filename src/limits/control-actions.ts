import { randomBytes } from 'node:crypto';
import { isValidId } from '../identity/virtual-keys.js';
import type { WalletEntry } from '../ledger/types.js';
import { usdToPico } from '../util/money.js';
import type { ControlStore, CustomerRecord } from './control-store.js';
import type { PlanSpec } from './plan-schema.js';

// Control-plane actions shared by the CLI and the admin API, so both validate the same way.

export async function applyPlans(control: ControlStore, plans: Record<string, PlanSpec>, now: number) {
  await control.upsertPlans(plans, now);
  return control.listPlans();
}

export async function setCustomerPlan(
  control: ControlStore,
  c: { id: string; plan?: string | null; cycleDay?: number; wallet?: string },
  now: number,
): Promise<CustomerRecord> {
  if (!isValidId(c.id))
    throw new Error('customer: must be 1–128 characters of letters, digits and . _ : @ -');
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
