import type { Command } from 'commander';
import { overheadPerCustomerPico } from '../economics/loaded-cost.js';
import { recommendFromLedger } from '../economics/recommend/ledger.js';
import { writePlansYaml } from '../economics/recommend/plans-yaml.js';
import { presentRecommendation } from '../economics/recommend/present-json.js';
import { parseTargetMargin } from '../economics/recommend/price.js';
import { renderRecommendation } from '../economics/recommend/render-text.js';
import { parseTimeArg } from '../util/time-arg.js';
import { configFrom, type StoreFlags, withStorage } from './context.js';

interface RecommendFlags extends StoreFlags {
  targetMargin?: string;
  from?: string;
  to?: string;
  json?: boolean;
  write?: string;
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description(
      'propose Starter, Pro and high-volume tiers (caps, prices, credits or runs) from observed usage',
    )
    .option(
      '--target-margin <fraction>',
      'gross margin each tier must leave over its covering customer',
      '0.7',
    )
    .option('--from <time>', 'from (inclusive; widened to its whole UTC month), ISO-8601 or epoch ms')
    .option('--to <time>', 'to (exclusive; widened to the end of its UTC month), ISO-8601 or epoch ms')
    .option('--json', 'JSON output')
    .option('--write <file>', 'write the proposed tiers as a plans.yaml')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: RecommendFlags) => {
      const targetMarginBp = parseTargetMargin('--target-margin', o.targetMargin);
      const from = parseTimeArg('--from', o.from);
      const to = parseTimeArg('--to', o.to);
      const config = await configFrom(o);
      const overheadPico = overheadPerCustomerPico(config.economics);
      await withStorage({ db: config.db }, async ({ store, economics }) => {
        // Monthly usage from the rollups; per-call costs from the raw rows while none was pruned.
        const r = await recommendFromLedger({
          reader: economics,
          store,
          from,
          to,
          options: { targetMarginBp, overheadPico },
        });
        if (o.write) writePlansYaml(o.write, r);
        if (o.json)
          return void process.stdout.write(`${JSON.stringify(presentRecommendation(r), null, 2)}\n`);
        process.stdout.write(`${renderRecommendation(r)}\n`);
        if (o.write) process.stdout.write(`\nwrote ${r.tiers.length} plans to ${o.write}\n`);
      });
    });
}
