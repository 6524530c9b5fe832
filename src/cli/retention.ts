import type { Command } from 'commander';
import { retentionHorizon } from '../ledger/retention.js';
import { parseTimeArg } from '../util/time-arg.js';
import { configFrom, type StoreFlags, withStorage } from './context.js';

/** `margin prune` and `margin rollups rebuild`: raw-row retention; rollups are kept forever. */
export function registerRetention(program: Command): void {
  program
    .command('prune')
    .description(
      'delete raw ledger rows older than a day (whole UTC days); their figures stay in the rollups and their ids are kept, so they are never added again',
    )
    .option('--before <date>', 'delete rows before 00:00 UTC of this day (ISO-8601 or epoch ms)')
    .option('--days <n>', 'keep this many whole days before today (default: ledger.retainDays)')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: StoreFlags & { before?: string; days?: string }) => {
      const before = await horizonFrom(o);
      await withStorage(o, async ({ retention }) => {
        const { horizon, deleted } = await retention.prune(before);
        process.stdout.write(
          `pruned ${deleted} raw row(s) before ${new Date(horizon).toISOString()}; reports and budgets read the rollups, which keep them\n`,
        );
      });
    });
  program
    .command('rollups')
    .description('ledger rollups')
    .command('rebuild')
    .description(
      'recompute the rollups from raw rows, in one transaction; days before the prune horizon keep their rollups (their rows are gone)',
    )
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: StoreFlags) => {
      await withStorage(o, async ({ retention }) => {
        const { horizon } = await retention.rebuildRollups();
        const kept = horizon > 0 ? `; days before ${new Date(horizon).toISOString()} kept as they were` : '';
        process.stdout.write(`rollups rebuilt from raw rows${kept}\n`);
      });
    });
}

async function horizonFrom(o: StoreFlags & { before?: string; days?: string }): Promise<number> {
  if (o.before !== undefined && o.days !== undefined)
    throw new Error('--before and --days: give one of them');
  const before = parseTimeArg('--before', o.before);
  if (before !== undefined) return before;
  let days: number | undefined;
  if (o.days !== undefined) {
    days = Number(o.days);
    if (!Number.isInteger(days) || days < 1)
      throw new Error(`--days: must be an integer ≥ 1 (got ${o.days})`);
  } else {
    days = (await configFrom(o)).ledger.retainDays;
    if (days === undefined)
      throw new Error('--before or --days: required (or set ledger.retainDays in the config file)');
  }
  return retentionHorizon(days, Date.now());
}
