import type { ServerResponse } from 'node:http';
import { type RecommendReader, recommendFromLedger } from '../economics/recommend/ledger.js';
import { presentRecommendation } from '../economics/recommend/present-json.js';
import { parseTargetMargin } from '../economics/recommend/price.js';
import { recommendFromScenario } from '../economics/recommend/scenario.js';
import { parseScenario } from '../economics/simulate/scenario-schema.js';
import { scenarioOverheadPico } from '../economics/simulate/simulate.js';
import type { LedgerStore } from '../ledger/types.js';
import type { PriceCatalog } from '../pricing/catalog.js';
import type { Clock } from '../util/clock.js';
import { parseTimeArg } from '../util/time-arg.js';
import { adminBody } from './admin-body.js';
import { sendJson } from './respond.js';

export interface AdminRecommendDeps {
  store: Pick<LedgerStore, 'requests'>;
  /** The rollups reader. */
  reader: RecommendReader;
  /** Config `economics.overheadPerCustomerUsd` in pico-USD. */
  overheadPico: bigint;
  /** For a scenario: prices, config `economics.batchDiscountPercent`, and "now" when it sets no pricesAt. */
  catalog: PriceCatalog;
  batchDiscountPercent?: Readonly<Record<string, number>>;
  clock: Clock;
}

/**
 * GET /admin/v1/recommend?target_margin=0.7&from=…&to=…: the tier recommendation from the ledger as JSON
 * (the same as `margin recommend --json`). POST /admin/v1/recommend with `{scenario?, target_margin?,
 * from?, to?}`: the same, from the scenario's synthetic population when one is given (as `margin recommend
 * --scenario`; `from`/`to` then do not apply), else from the ledger. Returns false when the path is not
 * this route. Bad parameters throw errors naming them, which the admin router answers with 400.
 */
export async function handleAdminRecommend(
  deps: AdminRecommendDeps,
  method: string,
  path: string,
  query: URLSearchParams,
  rawBody: Buffer,
  res: ServerResponse,
): Promise<boolean> {
  if (path !== '/recommend' || (method !== 'GET' && method !== 'POST')) return false;
  const b = method === 'POST' ? adminBody(rawBody) : undefined;
  const param = (field: string): string | number | undefined => {
    if (!b) return query.get(field) ?? undefined;
    const v = b[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || typeof v === 'number') return v;
    throw new Error(`${field}: must be a string or a number`);
  };
  const targetMarginBp = parseTargetMargin('target_margin', param('target_margin'));
  const from = parseTimeArg('from', text(param('from')));
  const to = parseTimeArg('to', text(param('to')));
  const scenario = b?.scenario === undefined || b.scenario === null ? undefined : b.scenario;
  if (scenario !== undefined) {
    if (from !== undefined || to !== undefined)
      throw new Error(`${from !== undefined ? 'from' : 'to'}: not used with a scenario (it has no dates)`);
    const parsed = parseScenario(scenario, 'scenario');
    const r = await recommendFromScenario({
      scenario: parsed,
      source: 'scenario',
      catalog: deps.catalog,
      batchDiscountPercent: deps.batchDiscountPercent,
      options: { targetMarginBp, overheadPico: scenarioOverheadPico(parsed, deps.overheadPico) },
      now: deps.clock.now(),
    });
    sendJson(res, 200, presentRecommendation(r));
    return true;
  }
  const r = await recommendFromLedger({
    reader: deps.reader,
    store: deps.store,
    from,
    to,
    options: { targetMarginBp, overheadPico: deps.overheadPico },
  });
  sendJson(res, 200, presentRecommendation(r));
  return true;
}

const text = (v: string | number | undefined) => (v === undefined ? undefined : String(v));
