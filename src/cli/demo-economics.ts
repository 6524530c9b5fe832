import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { monthStart } from '../economics/calendar.js';
import { writeHtmlReport } from '../economics/report/render-html.js';
import { runReport } from '../economics/report/run-report.js';
import { reportTables } from '../economics/report/tables.js';
import { listEvents } from '../events/sqlite-outbox-store.js';
import type { Gateway } from '../gateway.js';
import { catalogFor } from '../pricing/catalog-for.js';
import { ProviderRegistry } from '../providers/registry.js';
import { openStorage } from '../storage/open.js';
import { table } from './table.js';

/**
 * The demo's last act: what the traffic above means for margins. The demo customers get plans (one with a
 * negotiated MRR far below its AI cost), the gateway raises customer.under_water for it, and the economics
 * report for this month prints its totals and tiers and writes the HTML report with charts.
 */
export async function demoEconomics(
  gw: Gateway,
  config: Readonly<Config>,
  dir: string,
  say: (s: string) => void,
): Promise<void> {
  const now = Date.now();
  const since = monthStart(now);
  await gw.store.control.upsertPlans(
    {
      'demo-pro': {
        priceUsd: '49',
        soft: { thresholdPercent: 80 },
        hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
        features: {},
        rateLimits: {},
      },
    },
    now,
  );
  await gw.store.control.setCustomer({ id: 'acme', plan: 'demo-pro', since }, now);
  await gw.store.control.setCustomer({ id: 'globex', plan: 'demo-starter', since }, now);
  // A negotiated price far below what the customer costs: it goes under water.
  await gw.store.control.setCustomer({ id: 'initech', plan: 'demo-pro', mrrPico: 1_000_000n, since }, now);
  await gw.limits.refresh(true);
  say(
    '\nUnit economics: acme on demo-pro ($49), globex on demo-starter ($29), initech on demo-pro at an MRR of $0.000001',
  );
  const raised = await gw.checkUnderWater(['acme', 'globex', 'initech']);
  for (const e of listEvents(config.db, { type: 'customer.under_water' }))
    say(`  event ${e.type}: ${JSON.stringify(e.payload)}`);
  if (raised === 0) say('  (no customer under water)');
  const storage = openStorage(config);
  try {
    const { report, latestCosts, caps } = await runReport(
      {
        reader: storage.economics,
        control: storage.store.control,
        catalog: catalogFor(config, new ProviderRegistry(config)),
        economics: config.economics,
      },
      { period: 'month', from: since, to: now + 1 },
      now,
    );
    const month = report.buckets.at(-1);
    if (month) {
      const t = month.totals;
      say(
        `  ${month.label} to date: inference cost $${t.inference_cost_usd}, revenue $${t.revenue_usd}, ` +
          `cost ${t.cost_pct_of_revenue ?? '—'}% of revenue, gross margin ${t.gross_margin_pct ?? '—'}%`,
      );
      say(
        table(
          ['plan', 'customers', 'active', 'cost', 'revenue', 'P95', 'margin floor', 'under water'],
          month.tiers.map((x) => [
            x.plan ?? '(no plan)',
            x.customers,
            x.active_customers,
            `$${x.cost_usd}`,
            `$${x.revenue_usd}`,
            x.p95_usd === null ? '—' : `$${x.p95_usd}`,
            x.margin_floor_pct === null ? '—' : `${x.margin_floor_pct}%`,
            x.under_water,
          ]),
        ),
      );
    }
    const file = join(dir, 'economics.html');
    await writeHtmlReport(file, report, reportTables(report), { latestCosts, caps });
    say(`  HTML report with charts: ${file}`);
    say(`  The whole report: margin report --db ${config.db} (--json, --csv DIR, --html FILE)`);
  } finally {
    await storage.close();
  }
}
