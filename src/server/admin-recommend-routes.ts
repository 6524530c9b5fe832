import type { ServerResponse } from 'node:http';
import { type RecommendReader, recommendFromLedger } from '../economics/recommend/ledger.js';
import { presentRecommendation } from '../economics/recommend/present-json.js';
import { parseTargetMargin } from '../economics/recommend/price.js';
import type { LedgerStore } from '../ledger/types.js';
import { parseTimeArg } from '../util/time-arg.js';
import { sendJson } from './respond.js';

export interface AdminRecommendDeps {
  store: Pick<LedgerStore, 'requests'>;
  /** The rollups reader. */
  reader: RecommendReader;
  /** Config `economics.overheadPerCustomerUsd` in pico-USD. */
  overheadPico: bigint;
}

/**
 * GET /admin/v1/recommend?target_margin=0.7&from=…&to=…: the tier recommendation as JSON (the same as
 * `margin recommend --json`). Returns false when the path is not this route. Bad parameters throw errors
 * naming them, which the admin router answers with 400.
 */
export async function handleAdminRecommend(
  deps: AdminRecommendDeps,
  method: string,
  path: string,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<boolean> {
  if (path !== '/recommend' || method !== 'GET') return false;
  const targetMarginBp = parseTargetMargin('target_margin', query.get('target_margin') ?? undefined);
  const from = parseTimeArg('from', query.get('from') ?? undefined);
  const to = parseTimeArg('to', query.get('to') ?? undefined);
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
