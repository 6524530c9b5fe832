import type { ServerResponse } from 'node:http';
import type { EconomicsConfig } from '../config/economics-schema.js';
import type { EconomicsReader } from '../economics/reader.js';
import { reportRange } from '../economics/report/options.js';
import { runReport } from '../economics/report/run-report.js';
import type { ControlStore } from '../limits/control-store.js';
import type { PriceCatalog } from '../pricing/catalog.js';
import type { Clock } from '../util/clock.js';
import { sendJson } from './respond.js';

export interface AdminReportDeps {
  reader: EconomicsReader;
  config: EconomicsConfig;
  control: ControlStore;
  catalog: PriceCatalog;
  clock: Clock;
}

/** GET /admin/v1/reports/economics?period=&from=&to=: the same report as `margin report --json`. */
export async function handleAdminReport(
  deps: AdminReportDeps,
  method: string,
  path: string,
  q: URLSearchParams,
  res: ServerResponse,
): Promise<boolean> {
  if (path !== '/reports/economics') return false;
  if (method !== 'GET') {
    res.setHeader('allow', 'GET');
    sendJson(res, 405, { error: { message: 'reports/economics: use GET', type: 'invalid_request_error' } });
    return true;
  }
  const now = deps.clock.now();
  const range = reportRange(
    { period: q.get('period') ?? undefined, from: q.get('from') ?? undefined, to: q.get('to') ?? undefined },
    now,
  );
  const { report } = await runReport(
    { reader: deps.reader, control: deps.control, catalog: deps.catalog, economics: deps.config },
    range,
    now,
  );
  sendJson(res, 200, report);
  return true;
}
