import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EconomicsConfig } from '../config/economics-schema.js';
import { overheadPerCustomerPico } from '../economics/loaded-cost.js';
import type { EconomicsReader } from '../economics/reader.js';
import type { OutboxStore } from '../events/outbox-store.js';
import { createVirtualKey } from '../identity/virtual-keys.js';
import { presentKey, presentRow, presentUsage, usageTotal } from '../ledger/present.js';
import { StoreBusyError } from '../ledger/store-busy.js';
import type { Store, UsageDimension } from '../ledger/types.js';
import type { LimitsEngine } from '../limits/engine.js';
import { presentedKey } from '../pipeline/identify.js';
import type { PriceCatalog } from '../pricing/catalog.js';
import type { Clock } from '../util/clock.js';
import { parseTimeArg } from '../util/time-arg.js';
import { adminBody, optionalString, pathParam } from './admin-body.js';
import { handleAdminLimits, NotFound } from './admin-limits-routes.js';
import { handleAdminRecommend } from './admin-recommend-routes.js';
import { handleAdminReport } from './admin-report-routes.js';
import { handleAdminSimulate } from './admin-simulate-routes.js';
import { sendJson } from './respond.js';

const DIMENSIONS: readonly UsageDimension[] = ['customer', 'feature', 'model', 'provider', 'day'];

export interface AdminDeps {
  store: Store;
  clock: Clock;
  adminKey: string | undefined;
  limits: LimitsEngine;
  outbox: OutboxStore;
  /** Resolves once the calls answered so far are in the ledger (it is fed in the background). */
  ledgerCaughtUp: () => Promise<void>;
  catalog: PriceCatalog;
  /** Rollups and settings for /reports/economics, /simulate and /recommend. */
  economics: { reader: EconomicsReader; config: EconomicsConfig };
}

/** /admin/v1/*: JSON, guarded by MARGIN_ADMIN_KEY, money as decimal strings. */
export async function handleAdmin(
  deps: AdminDeps,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  rawBody: Buffer,
): Promise<void> {
  if (!authorised(deps.adminKey, req))
    return fail(
      res,
      401,
      deps.adminKey ? 'Invalid admin key' : 'Admin API disabled: set MARGIN_ADMIN_KEY on the gateway',
    );
  const q = url.searchParams;
  const path = url.pathname.slice('/admin/v1'.length);
  // Reads see every call already answered: the background ledger commit is brought forward for them.
  if (req.method === 'GET' || path === '/simulate' || path === '/recommend') await deps.ledgerCaughtUp();
  try {
    if (req.method === 'GET' && path === '/requests') {
      const limit = q.has('limit') ? Number(q.get('limit')) : 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        return fail(res, 400, 'limit: must be an integer from 1 to 1000');
      const rows = await deps.store.requests({
        customer: q.get('customer') ?? undefined,
        from: parseTimeArg('from', q.get('from') ?? undefined),
        to: parseTimeArg('to', q.get('to') ?? undefined),
        before: q.get('before') ?? undefined,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return sendJson(res, 200, {
        data: page.map(presentRow),
        has_more: rows.length > limit,
        next_before: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      });
    }
    if (req.method === 'GET' && path === '/usage') {
      const by = (q.get('by') ?? 'customer') as UsageDimension;
      if (!DIMENSIONS.includes(by)) return fail(res, 400, `by: must be one of ${DIMENSIONS.join(', ')}`);
      const groups = await deps.store.usage({
        by,
        customer: q.get('customer') ?? undefined,
        from: parseTimeArg('from', q.get('from') ?? undefined),
        to: parseTimeArg('to', q.get('to') ?? undefined),
      });
      return sendJson(res, 200, { by, data: groups.map(presentUsage), total: usageTotal(groups) });
    }
    if (path === '/keys' && req.method === 'GET') {
      const keys = await deps.store.listKeys({
        customer: q.get('customer') ?? undefined,
        includeRevoked: q.get('include_revoked') === 'true',
      });
      return sendJson(res, 200, { data: keys.map(presentKey) });
    }
    if (path === '/keys' && req.method === 'POST') {
      const body = adminBody(rawBody);
      const kind = body.kind ?? 'customer';
      if (kind !== 'customer' && kind !== 'app') return fail(res, 400, 'kind: must be "customer" or "app"');
      const customer = optionalString(body, 'customer');
      const name = optionalString(body, 'name');
      const created = await createVirtualKey(deps.store, { kind, customer, name, now: deps.clock.now() });
      return sendJson(res, 201, { key: created.key, ...presentKey(created.record) });
    }
    const revoke = /^\/keys\/([^/]+)$/.exec(path);
    if (revoke && req.method === 'DELETE') {
      const k = await deps.store.revokeKey(pathParam(revoke[1], 'key'), deps.clock.now());
      return k ? sendJson(res, 200, presentKey(k)) : fail(res, 404, 'key: no key with that id or prefix');
    }
    const limitsDeps = {
      control: deps.store.control,
      outbox: deps.outbox,
      limits: deps.limits,
      clock: deps.clock,
    };
    const recommendDeps = {
      store: deps.store,
      reader: deps.economics.reader,
      overheadPico: overheadPerCustomerPico(deps.economics.config),
      catalog: deps.catalog,
      batchDiscountPercent: deps.economics.config.batchDiscountPercent,
      clock: deps.clock,
    };
    const reportDeps = {
      ...deps.economics,
      control: deps.store.control,
      catalog: deps.catalog,
      clock: deps.clock,
    };
    if (await handleAdminReport(reportDeps, req.method ?? 'GET', path, q, res)) return;
    if (await handleAdminRecommend(recommendDeps, req.method ?? 'GET', path, q, rawBody, res)) return;
    if (await handleAdminLimits(limitsDeps, req.method ?? 'GET', path, q, rawBody, res)) return;
    const simulateDeps = {
      control: deps.store.control,
      catalog: deps.catalog,
      clock: deps.clock,
      economics: deps.economics.reader,
      batchDiscountPercent: deps.economics.config.batchDiscountPercent,
      overheadPerCustomerPico: overheadPerCustomerPico(deps.economics.config),
    };
    if (await handleAdminSimulate(simulateDeps, req.method ?? 'GET', path, rawBody, res)) return;
    return fail(res, 404, `No admin route ${req.method} ${url.pathname}`);
  } catch (e) {
    if (e instanceof NotFound) return fail(res, 404, e.message);
    // Another process holds the ledger's write lock: nothing changed, the same write succeeds later.
    if (e instanceof StoreBusyError) {
      res.setHeader('retry-after', String(e.retryAfterSec));
      return fail(res, 503, e.message, 'store_busy');
    }
    // Validation errors from parsers carry the field name in their message.
    return fail(res, 400, (e as Error).message);
  }
}

function authorised(adminKey: string | undefined, req: IncomingMessage): boolean {
  const given = presentedKey(req.headers);
  if (!adminKey || !given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(adminKey);
  return a.length === b.length && timingSafeEqual(a, b);
}

function fail(res: ServerResponse, status: number, message: string, code?: string): void {
  sendJson(res, status, { error: { message, status, ...(code ? { code } : {}) } });
}
