import type { Command } from 'commander';
import { topUpWallet } from '../limits/control-actions.js';
import { picoToUsd } from '../util/money.js';
import { type StoreFlags, withStore } from './context.js';
import { table } from './table.js';

export function registerWallets(program: Command): void {
  const wallets = program.command('wallets').description('prepaid wallets: top-ups and movements');
  wallets
    .command('top-up')
    .argument('[customer]', 'customer id (its wallet, or the shared wallet it draws from); or --customer')
    .argument('[amount-usd]', 'amount in USD, e.g. 25 or 12.50; or --amount')
    .description('add prepaid balance; recorded as a wallet entry with its reason')
    .option('--customer <id>', 'customer id')
    .option('--amount <usd>', 'amount in USD')
    .option('--reason <text>', 'why (default: top_up)')
    .option('--note <text>', 'free-form note, e.g. an invoice number')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(
      async (
        customerArg: string | undefined,
        amountArg: string | undefined,
        o: StoreFlags & { customer?: string; amount?: string; reason?: string; note?: string },
      ) => {
        const customer = customerArg ?? o.customer;
        const amount = amountArg ?? o.amount;
        if (!customer) throw new Error('customer: required (margin wallets top-up <customer> <amount-usd>)');
        if (!amount) throw new Error('amount: required, in USD');
        await withStore(o, async (store) => {
          const { entry, balancePico } = await topUpWallet(store.control, customer, amount, o, Date.now());
          process.stdout.write(`${picoToUsd(balancePico)}\n`);
          process.stderr.write(`topped up wallet ${entry.wallet} by $${picoToUsd(entry.amountPico)}\n`);
        });
      },
    );
  wallets
    .command('show')
    .argument('<customer>', 'customer id')
    .description('balance and latest movements')
    .option('--limit <n>', 'movements to show', '20')
    .option('--json', 'JSON output')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (customer: string, o: StoreFlags & { limit: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit: must be a positive integer');
      // The admin routes module pulls in the plans parser (YAML, schemas): only this command needs it.
      const { presentEntry } = await import('../server/admin-limits-routes.js');
      await withStore(o, async (store) => {
        const wallet = (await store.control.getCustomer(customer))?.wallet ?? customer;
        const balance = picoToUsd(await store.control.walletBalance(wallet, []));
        const entries = (await store.control.walletEntries(wallet, limit)).map(presentEntry);
        if (o.json)
          return void process.stdout.write(
            `${JSON.stringify({ wallet, balance_usd: balance, entries }, null, 2)}\n`,
          );
        const rows = entries.map((e) => [e.ts, e.amount_usd, e.reason, e.request_id ?? '-', e.note ?? '-']);
        process.stdout.write(`wallet ${wallet}: balance $${balance}\n`);
        process.stdout.write(`${table(['time', 'amount_usd', 'reason', 'request', 'note'], rows)}\n`);
      });
    });
}
