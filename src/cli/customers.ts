import type { Command } from 'commander';
import { setCustomerPlan } from '../limits/control-actions.js';
import { type StoreFlags, withStore } from './context.js';
import { table } from './table.js';

export function registerCustomers(program: Command): void {
  const customers = program.command('customers').description('customers: plan, billing cycle, wallet');
  customers
    .command('set-plan')
    .argument('[customer]', 'customer id (or --customer)')
    .argument('[plan]', 'plan name from plans.yaml, or "none" to remove the plan (or --plan)')
    .description('put a customer on a plan; takes effect on its next request')
    .option('--customer <id>', 'customer id')
    .option('--plan <name>', 'plan name, or "none"')
    .option('--cycle-day <day>', 'day of month (1–31, UTC) the billing cycle resets on; default: today')
    .option('--wallet <id>', 'draw from this shared (workspace) wallet instead of its own')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(
      async (
        customerArg: string | undefined,
        planArg: string | undefined,
        o: StoreFlags & { customer?: string; plan?: string; cycleDay?: string; wallet?: string },
      ) => {
        const customer = customerArg ?? o.customer;
        const plan = planArg ?? o.plan;
        if (!customer) throw new Error('customer: required (margin customers set-plan <customer> <plan>)');
        if (!plan) throw new Error('plan: required (a plan name, or "none")');
        const cycleDay = o.cycleDay === undefined ? undefined : Number(o.cycleDay);
        if (cycleDay !== undefined && !Number.isInteger(cycleDay))
          throw new Error(`--cycle-day: must be an integer from 1 to 31 (got ${o.cycleDay})`);
        await withStore(o, async (store) => {
          const c = await setCustomerPlan(
            store.control,
            { id: customer, plan: plan === 'none' ? null : plan, cycleDay, wallet: o.wallet },
            Date.now(),
          );
          process.stderr.write(`customer ${c.id}: plan ${c.plan ?? '(none)'}, cycle day ${c.cycleDay}\n`);
        });
      },
    );
  customers
    .command('list')
    .description('list customers')
    .option('--json', 'JSON output')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: StoreFlags & { json?: boolean }) => {
      await withStore(o, async (store) => {
        const list = await store.control.listCustomers();
        if (o.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        const rows = list.map((c) => [c.id, c.plan ?? '-', String(c.cycleDay), c.wallet]);
        process.stdout.write(`${table(['customer', 'plan', 'cycle_day', 'wallet'], rows)}\n`);
      });
    });
  customers
    .command('show')
    .argument('<customer>', 'customer id')
    .description("a customer's budget, pace and wallet this cycle (JSON)")
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (customer: string, o: StoreFlags) => {
      // The limits engine and config schemas (zod) load only for this command.
      const [{ limitsSchema }, { LedgerWriter }, { LimitsEngine }, { usageReport }, { systemClock }] =
        await Promise.all([
          import('../config/schema.js'),
          import('../ledger/writer.js'),
          import('../limits/engine.js'),
          import('../limits/quota-view.js'),
          import('../util/clock.js'),
        ]);
      await withStore(o, async (store) => {
        const writer = new LedgerWriter(store);
        const limits = new LimitsEngine({
          control: store.control,
          writer,
          clock: systemClock,
          config: limitsSchema.parse({}),
          log: () => {},
        });
        const report = await usageReport(limits, customer, Date.now());
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      });
    });
}
