import type { Command } from 'commander';
import { presentUsage, usageTotal } from '../ledger/present.js';
import type { UsageDimension } from '../ledger/types.js';
import { parseTimeArg } from '../util/time-arg.js';
import { type StoreFlags, withStore } from './context.js';
import { table } from './table.js';

const BY: readonly UsageDimension[] = ['customer', 'feature', 'model', 'provider', 'day'];

export function registerUsage(program: Command): void {
  program
    .command('usage')
    .description('usage and exact cost from the ledger, grouped')
    .option('--customer <id>', 'only this customer')
    .option('--from <time>', 'from (inclusive), ISO-8601 or epoch ms')
    .option('--to <time>', 'to (exclusive), ISO-8601 or epoch ms')
    .option('--by <dimension>', `group by: ${BY.join('|')}`, 'customer')
    .option('--json', 'JSON output')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(
      async (
        o: StoreFlags & { customer?: string; from?: string; to?: string; by: string; json?: boolean },
      ) => {
        if (!BY.includes(o.by as UsageDimension)) throw new Error(`--by: must be one of ${BY.join(', ')}`);
        const from = parseTimeArg('--from', o.from);
        const to = parseTimeArg('--to', o.to);
        await withStore(o, async (store) => {
          const groups = await store.usage({ by: o.by as UsageDimension, customer: o.customer, from, to });
          const data = groups.map(presentUsage);
          const total = usageTotal(groups);
          if (o.json)
            return void process.stdout.write(`${JSON.stringify({ by: o.by, data, total }, null, 2)}\n`);
          process.stdout.write(`${renderUsage(o.by, data, total)}\n`);
        });
      },
    );
}

export function renderUsage(
  by: string,
  data: ReturnType<typeof presentUsage>[],
  total: ReturnType<typeof usageTotal>,
): string {
  const rows = data.map((g) => [
    g.key,
    g.requests,
    g.input_tokens,
    g.output_tokens,
    g.cache_write_tokens,
    g.cache_read_tokens,
    `$${g.cost_usd}`,
    g.unpriced_requests,
  ]);
  const t = table(
    [by, 'requests', 'input', 'output', 'cache_write', 'cache_read', 'cost_usd', 'unpriced'],
    rows,
  );
  const note =
    total.unpriced_requests > 0 ? `  (${total.unpriced_requests} unpriced request(s) not in cost)` : '';
  return `${t}\ntotal: ${total.requests} requests, $${total.cost_usd}${note}`;
}
