import type { Command } from 'commander';
import { applyPlans } from '../limits/control-actions.js';
import { compilePlan, formatUnits } from '../limits/plan.js';
import { picoToUsd } from '../util/money.js';
import { type StoreFlags, withStore } from './context.js';
import { table } from './table.js';

export function registerPlans(program: Command): void {
  const plans = program.command('plans').description('plan tiers: budgets, caps, lanes, rate limits');
  plans
    .command('apply')
    .argument('<file>', 'plans.yaml')
    .description('validate plans.yaml and create or update its plans; running gateways pick them up at once')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (file: string, o: StoreFlags) => {
      const { readPlansFile } = await import('../limits/plans-file.js');
      const specs = readPlansFile(file);
      await withStore(o, async (store) => {
        const all = await applyPlans(store.control, specs, Date.now());
        process.stderr.write(`applied ${Object.keys(specs).length} plan(s); ${all.length} in total\n`);
      });
    });
  plans
    .command('list')
    .description('list plans')
    .option('--json', 'JSON output')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: StoreFlags & { json?: boolean }) => {
      await withStore(o, async (store) => {
        const list = await store.control.listPlans();
        if (o.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        const rows = list.map(({ name, spec }) => {
          const p = compilePlan(name, spec);
          const budget = p.cap !== undefined && p.unit ? `${formatUnits(p.cap, p.unit)} ${p.unit}` : '-';
          return [name, picoToUsd(p.pricePico), budget, p.atCap, `${spec.soft.thresholdPercent}%`];
        });
        process.stdout.write(`${table(['plan', 'price_usd', 'budget', 'at_cap', 'soft_at'], rows)}\n`);
      });
    });
}
