import type { Command } from 'commander';
import { overheadPerCustomerPico } from '../economics/loaded-cost.js';
import { recommendFromLedger } from '../economics/recommend/ledger.js';
import { writePlansYaml } from '../economics/recommend/plans-yaml.js';
import { presentRecommendation } from '../economics/recommend/present-json.js';
import { parseTargetMargin } from '../economics/recommend/price.js';
import type { SourcedRecommendation } from '../economics/recommend/recommend.js';
import { renderRecommendation } from '../economics/recommend/render-text.js';
import { parseTimeArg } from '../util/time-arg.js';
import { configFrom, type StoreFlags, withStorage } from './context.js';

interface RecommendFlags extends StoreFlags {
  targetMargin?: string;
  from?: string;
  to?: string;
  scenario?: string;
  json?: boolean;
  write?: string;
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description(
      'propose Starter, Pro and high-volume tiers (caps, prices, credits or runs) from observed (or scenario) usage',
    )
    .option(
      '--target-margin <fraction>',
      'gross margin each tier must leave over its covering customer',
      '0.7',
    )
    .option('--from <time>', 'from (inclusive; widened to its whole UTC month), ISO-8601 or epoch ms')
    .option('--to <time>', 'to (exclusive; widened to the end of its UTC month), ISO-8601 or epoch ms')
    .option(
      '--scenario <file>',
      'scenario.yaml (as for margin simulate): recommend from its synthetic population instead of the ledger',
    )
    .option('--json', 'JSON output')
    .option('--write <file>', 'write the proposed tiers as a plans.yaml')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: RecommendFlags) => {
      const targetMarginBp = parseTargetMargin('--target-margin', o.targetMargin);
      const from = parseTimeArg('--from', o.from);
      const to = parseTimeArg('--to', o.to);
      if (o.scenario && (from !== undefined || to !== undefined))
        throw new Error(
          `${from !== undefined ? '--from' : '--to'}: not used with --scenario (it has no dates)`,
        );
      const config = await configFrom(o);
      const overheadPico = overheadPerCustomerPico(config.economics);
      let r: SourcedRecommendation;
      if (o.scenario) {
        // A synthetic population needs no ledger: none is opened (or created).
        const { readScenarioFile } = await import('../economics/simulate/scenario-schema.js');
        const { scenarioOverheadPico } = await import('../economics/simulate/simulate.js');
        const { catalogFromConfig } = await import('../economics/simulate/open.js');
        const { recommendFromScenario } = await import('../economics/recommend/scenario.js');
        const scenario = readScenarioFile(o.scenario);
        r = await recommendFromScenario({
          scenario,
          source: o.scenario,
          catalog: catalogFromConfig(config),
          batchDiscountPercent: config.economics.batchDiscountPercent,
          options: { targetMarginBp, overheadPico: scenarioOverheadPico(scenario, overheadPico) },
          now: Date.now(),
        });
      } else {
        // Monthly usage from the rollups; per-call costs from the raw rows while none was pruned.
        r = await withStorage({ db: config.db }, ({ store, economics }) =>
          recommendFromLedger({
            reader: economics,
            store,
            from,
            to,
            options: { targetMarginBp, overheadPico },
          }),
        );
      }
      if (o.write) writePlansYaml(o.write, r);
      if (o.json) return void process.stdout.write(`${JSON.stringify(presentRecommendation(r), null, 2)}\n`);
      process.stdout.write(`${renderRecommendation(r)}\n`);
      if (o.write) process.stdout.write(`\nwrote ${r.tiers.length} plans to ${o.write}\n`);
    });
}
