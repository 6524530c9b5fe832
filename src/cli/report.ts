import type { Command } from 'commander';
import { type StoreFlags, configFrom } from './context.js';

interface ReportFlags extends StoreFlags {
  period?: string;
  from?: string;
  to?: string;
  json?: boolean;
  html?: string;
  csv?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('unit economics: cost per customer by tier (P50–P99), margin floors, gross margin, the weekly view')
    .option('--period <month|week>', 'one section per calendar month or ISO week (UTC)', 'month')
    .option('--from <time>', 'from (inclusive), ISO-8601 or epoch ms; default: 3 months (or 12 weeks) back')
    .option('--to <time>', 'to (exclusive), ISO-8601 or epoch ms; default: now')
    .option('--json', 'the whole report as JSON')
    .option('--html <file>', 'also write a self-contained HTML report with charts')
    .option('--csv <dir>', 'also write each table as a CSV file in this directory')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: ReportFlags) => {
      const { economicsReport } = await import('../economics/report/cli-report.js');
      await economicsReport(await configFrom(o), o);
    });
}
