// `margin report`: the report from the configured ledger, as text, JSON, CSV files and/or HTML.
import type { Config } from '../../config/schema.js';
import { catalogFor } from '../../pricing/catalog-for.js';
import { ProviderRegistry } from '../../providers/registry.js';
import { openStorage } from '../../storage/open.js';
import { reportRange } from './options.js';
import { writeCsv } from './render-csv.js';
import { renderText } from './render-text.js';
import { runReport } from './run-report.js';
import { reportTables } from './tables.js';

export interface ReportOutput {
  period?: string;
  from?: string;
  to?: string;
  json?: boolean;
  html?: string;
  csv?: string;
}

export async function economicsReport(config: Readonly<Config>, o: ReportOutput): Promise<void> {
  const now = Date.now();
  const range = reportRange(o, now, { period: '--period', from: '--from', to: '--to' });
  const storage = openStorage(config);
  try {
    const { report, latestCosts } = await runReport(
      {
        reader: storage.economics,
        control: storage.store.control,
        catalog: catalogFor(config, new ProviderRegistry(config)),
        economics: config.economics,
      },
      range,
      now,
    );
    const tables = reportTables(report);
    if (o.csv) {
      const files = await writeCsv(o.csv, tables);
      process.stderr.write(`wrote ${files.length} CSV files to ${o.csv}\n`);
    }
    if (o.html) {
      const { writeHtmlReport } = await import('./render-html.js');
      const files = await writeHtmlReport(o.html, report, tables, latestCosts);
      process.stderr.write(`wrote ${files.join(', ')}\n`);
    }
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (!o.csv && !o.html) process.stdout.write(`${renderText(report, tables)}\n`);
  } finally {
    await storage.close();
  }
}
