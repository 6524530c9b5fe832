import type { Command } from 'commander';
import { journaledInFlight } from '../journal/in-flight.js';
import { checkSince, parseMrrUsd, setCustomerPlan } from '../limits/control-actions.js';
import { parseTimeArg } from '../util/time-arg.js';
import { configFrom, fetchAdmin, type StoreFlags, withStore } from './context.js';
import { registerCustomersImport } from './customers-import.js';
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
    .option(
      '--mrr <usd>',
      "monthly revenue in USD for this plan instead of its priceUsd (exact decimal), or none; a plan change without it goes back to the plan's price",
    )
    .option(
      '--since <date>',
      'when the change took effect (ISO date or epoch ms, not in the future); plan history after it is replaced',
    )
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(
      async (
        customerArg: string | undefined,
        planArg: string | undefined,
        o: StoreFlags & {
          customer?: string;
          plan?: string;
          cycleDay?: string;
          wallet?: string;
          mrr?: string;
          since?: string;
        },
      ) => {
        const customer = customerArg ?? o.customer;
        const plan = planArg ?? o.plan;
        if (!customer) throw new Error('customer: required (margin customers set-plan <customer> <plan>)');
        if (!plan) throw new Error('plan: required (a plan name, or "none")');
        const cycleDay = o.cycleDay === undefined ? undefined : Number(o.cycleDay);
        if (cycleDay !== undefined && !Number.isInteger(cycleDay))
          throw new Error(`--cycle-day: must be an integer from 1 to 31 (got ${o.cycleDay})`);
        const mrrPico = o.mrr === undefined ? undefined : parseMrrUsd('--mrr', o.mrr);
        const now = Date.now();
        const since = checkSince('--since', parseTimeArg('--since', o.since), now);
        await withStore(o, async (store) => {
          const c = await setCustomerPlan(
            store.control,
            { id: customer, plan: plan === 'none' ? null : plan, cycleDay, wallet: o.wallet, mrrPico, since },
            now,
          );
          const mrr = c.mrrUsd === null ? '' : `, MRR $${c.mrrUsd}`;
          process.stderr.write(
            `customer ${c.id}: plan ${c.plan ?? '(none)'}${mrr}, cycle day ${c.cycleDay}\n`,
          );
        });
      },
    );
  registerCustomersImport(customers);
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
        const rows = list.map((c) => [c.id, c.plan ?? '-', c.mrrUsd ?? '-', String(c.cycleDay), c.wallet]);
        process.stdout.write(`${table(['customer', 'plan', 'mrr_usd', 'cycle_day', 'wallet'], rows)}\n`);
      });
    });
  customers
    .command('show')
    .argument('<customer>', 'customer id')
    .description("a customer's budget, pace, wallet and reservations in flight this cycle (JSON)")
    .option(
      '--gateway <url>',
      'ask this running gateway (admin API, MARGIN_ADMIN_KEY) for what its calls in flight hold',
    )
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (customer: string, o: StoreFlags & { gateway?: string }) => {
      if (o.gateway) {
        const path = `customers/${encodeURIComponent(customer)}`;
        const got = (await fetchAdmin(o.gateway, o, path)) as {
          usage: object;
          reserved: object;
          mrrUsd?: string | null;
        };
        const mrr_usd = got.mrrUsd ?? null;
        return void process.stdout.write(
          `${JSON.stringify({ ...got.usage, mrr_usd, reserved: got.reserved }, null, 2)}\n`,
        );
      }
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
        // Reserved amounts live in the serving gateway's memory; its request journal only says how many
        // calls are in flight. Unknown is null, never a made-up 0.
        const config = await configFrom(o);
        const calls = journaledInFlight(config.ledger.journalDir ?? `${config.db}.journal`, customer);
        const reserved = { calls, unit: report.budget?.unit ?? null, budget: null, wallet_usd: null };
        const mrr_usd = (await store.control.getCustomer(customer))?.mrrUsd ?? null;
        const shown = {
          ...report,
          mrr_usd,
          budget: report.budget && { ...report.budget, reserved: null },
          wallet: report.wallet && { ...report.wallet, reserved_usd: null },
          reserved,
        };
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        if (calls > 0)
          process.stderr.write(
            `${calls} call(s) in flight; pass --gateway URL to see what they hold reserved\n`,
          );
      });
    });
}
