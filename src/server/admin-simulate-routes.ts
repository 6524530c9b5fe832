import type { ServerResponse } from 'node:http';
import type { EconomicsReader } from '../economics/reader.js';
import { runSimulation } from '../economics/simulate/run.js';
import { parseScenario } from '../economics/simulate/scenario-schema.js';
import type { ControlStore } from '../limits/control-store.js';
import { parsePlans } from '../limits/plans-file.js';
import type { PriceCatalog } from '../pricing/catalog.js';
import type { Clock } from '../util/clock.js';
import { parseTimeArg } from '../util/time-arg.js';
import { adminBody } from './admin-body.js';
import { sendJson } from './respond.js';

export interface AdminSimulateDeps {
  control: ControlStore;
  catalog: PriceCatalog;
  clock: Clock;
  /** The ledger's rollups; without them only a scenario with a population can be simulated. */
  economics?: EconomicsReader;
  /** Config `economics.batchDiscountPercent`. */
  batchDiscountPercent?: Readonly<Record<string, number>>;
  /** Config `economics.overheadPerCustomerUsd` in pico-USD, for a scenario that sets no overhead. */
  overheadPerCustomerPico?: bigint;
}

/**
 * POST /admin/v1/simulate with `{plans: {...}, scenario?: {...}, from?, to?}`: the same inputs and answer
 * as `margin simulate --json`. Returns false when the route is not this one; bad input throws an Error
 * whose message starts with the field (the admin router answers 400).
 */
export async function handleAdminSimulate(
  deps: AdminSimulateDeps,
  method: string,
  path: string,
  rawBody: Buffer,
  res: ServerResponse,
): Promise<boolean> {
  if (path !== '/simulate' || method !== 'POST') return false;
  const b = adminBody(rawBody);
  if (b.plans === undefined)
    throw new Error('plans: required, the candidate plans (same schema as plans.yaml)');
  const candidate = parsePlans({ plans: b.plans }, 'plans');
  const scenario =
    b.scenario === undefined || b.scenario === null ? undefined : parseScenario(b.scenario, 'scenario');
  const current = Object.fromEntries((await deps.control.listPlans()).map((p) => [p.name, p.spec]));
  const report = await runSimulation({
    candidate,
    scenario,
    from: parseTimeArg('from', timeField(b.from, 'from')),
    to: parseTimeArg('to', timeField(b.to, 'to')),
    reader: deps.economics,
    current,
    catalog: deps.catalog,
    batchDiscountPercent: deps.batchDiscountPercent,
    overheadPerCustomerPico: deps.overheadPerCustomerPico,
    now: deps.clock.now(),
  });
  sendJson(res, 200, report);
  return true;
}

function timeField(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  throw new Error(`${field}: must be ISO-8601 text or epoch ms`);
}
