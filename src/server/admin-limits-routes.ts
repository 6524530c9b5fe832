import type { ServerResponse } from 'node:http';
import type { OutboxStore } from '../events/outbox-store.js';
import { presentEvent } from '../events/present-event.js';
import type { WalletEntry } from '../ledger/types.js';
import { applyPlans, parseMrrUsd, setCustomerPlan, topUpWallet } from '../limits/control-actions.js';
import type { ControlStore } from '../limits/control-store.js';
import type { LimitsEngine } from '../limits/engine.js';
import { parsePlans } from '../limits/plans-file.js';
import { reservedReport, usageReport } from '../limits/quota-view.js';
import type { Clock } from '../util/clock.js';
import { picoToUsd } from '../util/money.js';
import { parseTimeArg } from '../util/time-arg.js';
import { adminBody, optionalString, pathParam } from './admin-body.js';
import { sendJson } from './respond.js';

export interface AdminLimitsDeps {
  control: ControlStore;
  outbox: OutboxStore;
  limits: LimitsEngine;
  clock: Clock;
}

/**
 * Plans, customers and wallets under /admin/v1. Returns false when no route matched. Changes apply to the
 * very next request (the engine is refreshed before answering).
 */
export async function handleAdminLimits(
  deps: AdminLimitsDeps,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: Buffer,
  res: ServerResponse,
): Promise<boolean> {
  const now = deps.clock.now();
  const body = () => adminBody(rawBody);
  if (path === '/plans' && method === 'GET') {
    sendJson(res, 200, { data: await deps.control.listPlans() });
    return true;
  }
  if (path === '/plans' && (method === 'PUT' || method === 'POST')) {
    const plans = await applyPlans(deps.control, parsePlans(body(), 'body'), now);
    await deps.limits.refresh(true);
    sendJson(res, 200, { data: plans });
    return true;
  }
  if (path === '/customers' && method === 'GET') {
    sendJson(res, 200, { data: await deps.control.listCustomers() });
    return true;
  }
  const customer = /^\/customers\/([^/]+)$/.exec(path);
  if (customer) {
    const id = pathParam(customer[1], 'customer');
    if (method === 'GET') {
      const c = await deps.control.getCustomer(id);
      if (!c) throw new NotFound(`customer: no customer ${JSON.stringify(id)}`);
      const usage = await usageReport(deps.limits, id, now);
      const history = (await deps.control.planHistory(0, Number.MAX_SAFE_INTEGER, id)).map((s) => ({
        plan: s.plan,
        mrr_usd: s.mrrPico === null ? null : picoToUsd(s.mrrPico),
        from: new Date(s.from).toISOString(),
        to: s.to === null ? null : new Date(s.to).toISOString(),
      }));
      const reserved = await reservedReport(deps.limits, id);
      sendJson(res, 200, { ...c, plan_history: history, usage, reserved });
      return true;
    }
    if (method === 'PUT' || method === 'POST') {
      const b = body();
      if (b.plan !== undefined && b.plan !== null && typeof b.plan !== 'string')
        throw new Error('plan: must be a plan name or null');
      const plan = b.plan as string | null | undefined;
      if (b.cycle_day !== undefined && typeof b.cycle_day !== 'number' && typeof b.cycle_day !== 'string')
        throw new Error('cycle_day: must be an integer from 1 to 31');
      const cycleDay = b.cycle_day === undefined ? undefined : Number(b.cycle_day);
      const wallet = optionalString(b, 'wallet');
      // mrr_usd: absent keeps it (while the plan stays), null clears it; since backdates the change.
      const mrrPico = b.mrr_usd === undefined ? undefined : parseMrrUsd('mrr_usd', b.mrr_usd);
      if (b.since !== undefined && typeof b.since !== 'string' && typeof b.since !== 'number')
        throw new Error('since: must be an ISO-8601 date/time or epoch ms');
      const since = parseTimeArg('since', b.since === undefined ? undefined : String(b.since));
      const c = await setCustomerPlan(deps.control, { id, plan, cycleDay, wallet, mrrPico, since }, now);
      await deps.limits.refresh(true);
      sendJson(res, 200, c);
      return true;
    }
  }
  const topUp = /^\/wallets\/([^/]+)\/top-ups$/.exec(path);
  if (topUp && method === 'POST') {
    const b = body();
    const amount = typeof b.amount_usd === 'number' ? String(b.amount_usd) : b.amount_usd;
    if (typeof amount !== 'string') throw new Error('amount_usd: required, a decimal number of USD');
    // Keeps one top-up (and a wallet's sum of them) far inside SQLite's 64-bit integers of pico-USD.
    if (!/^\s*\d{0,6}(\.\d*)?\s*$/.test(amount))
      throw new Error('amount_usd: must be a decimal number of USD below 1000000 per top-up');
    const reason = optionalString(b, 'reason');
    const note = optionalString(b, 'note');
    const id = pathParam(topUp[1], 'customer');
    const { entry, balancePico } = await topUpWallet(deps.control, id, amount, { reason, note }, now);
    await deps.limits.refresh(true);
    sendJson(res, 201, { entry: presentEntry(entry), balance_usd: picoToUsd(balancePico) });
    return true;
  }
  if (path === '/events' && method === 'GET') {
    const limit = query.has('limit') ? Number(query.get('limit')) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw new Error('limit: must be an integer from 1 to 1000');
    const events = await deps.outbox.listEvents({
      customer: query.get('customer') ?? undefined,
      type: query.get('type') ?? undefined,
      since: parseTimeArg('since', query.get('since') ?? undefined),
      limit,
    });
    sendJson(res, 200, { data: events.map(presentEvent) });
    return true;
  }
  const wallet = /^\/wallets\/([^/]+)$/.exec(path);
  if (wallet && method === 'GET') {
    const id = pathParam(wallet[1], 'wallet');
    const c = await deps.control.getCustomer(id);
    const walletId = c?.wallet ?? id;
    sendJson(res, 200, {
      wallet: walletId,
      balance_usd: picoToUsd(await deps.control.walletBalance(walletId, [])),
      entries: (await deps.control.walletEntries(walletId, 100)).map(presentEntry),
    });
    return true;
  }
  return false;
}

export class NotFound extends Error {}

export function presentEntry(e: WalletEntry) {
  return {
    id: e.id,
    wallet: e.wallet,
    ts: new Date(e.ts).toISOString(),
    amount_usd: picoToUsd(e.amountPico),
    reason: e.reason,
    request_id: e.requestId,
    note: e.note,
  };
}
