import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseCustomersCsv } from '../limits/customers-csv.js';
import { type StoreFlags, withStore } from './context.js';

/** `margin customers import customers.csv`: many customers' plans and MRR in one transaction. */
export function registerCustomersImport(customers: Command): void {
  customers
    .command('import')
    .argument('<file>', 'CSV with a header: customer, plan, mrr, since (mrr and since optional)')
    .description(
      'create or update customers from a CSV, all or nothing: plan (empty = no plan), MRR in USD (empty = the plan price), since (ISO date or epoch ms)',
    )
    .option('--dry-run', 'validate and count, change nothing')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (file: string, o: StoreFlags & { dryRun?: boolean }) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (e) {
        throw new Error(`${file}: cannot read (${(e as Error).message})`);
      }
      await withStore(o, async (store) => {
        const now = Date.now();
        const plans = new Set((await store.control.listPlans()).map((p) => p.name));
        const { rows, problems } = parseCustomersCsv(text, file, { plans, now });
        if (problems.length > 0) {
          process.stderr.write(`${problems.join('\n')}\n`);
          throw new Error(`${file}: ${problems.length} bad row(s); nothing imported`);
        }
        const n = await store.control.importCustomers(rows, now, o.dryRun === true);
        const verb = o.dryRun ? 'dry run, nothing changed: would create' : 'created';
        process.stdout.write(
          `${file}: ${rows.length} row(s); ${verb} ${n.created}, ${o.dryRun ? 'change' : 'changed'} ${n.changed}, unchanged ${n.unchanged}\n`,
        );
      });
    });
}
