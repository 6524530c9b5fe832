import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { parseTimeArg } from '../util/time-arg.js';
import { configFrom, type StoreFlags, withStorage } from './context.js';

interface SimulateFlags extends StoreFlags {
  plans: string;
  scenario?: string;
  from?: string;
  to?: string;
  json?: boolean;
  html?: string;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('price candidate plans against the ledger’s usage (or a synthetic population) under levers')
    .requiredOption('--plans <file>', 'candidate plans (plans.yaml format)')
    .option('--scenario <file>', 'scenario.yaml: population, mapping to tiers, levers')
    .option('--from <time>', 'replay from (inclusive), ISO-8601 or epoch ms')
    .option('--to <time>', 'replay to (exclusive), ISO-8601 or epoch ms')
    .option('--json', 'JSON output')
    .option('--html <file>', 'write an HTML report')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: SimulateFlags) => {
      const { readPlansFile } = await import('../limits/plans-file.js');
      const { readScenarioFile } = await import('../economics/simulate/scenario-schema.js');
      const { runSimulation } = await import('../economics/simulate/run.js');
      const { renderSimulationText } = await import('../economics/simulate/render-text.js');
      const { catalogFromConfig } = await import('../economics/simulate/open.js');
      const { overheadPerCustomerPico } = await import('../economics/loaded-cost.js');
      const candidate = readPlansFile(o.plans);
      const scenario = o.scenario ? readScenarioFile(o.scenario) : undefined;
      const from = parseTimeArg('--from', o.from);
      const to = parseTimeArg('--to', o.to);
      const config = await configFrom(o);
      const catalog = catalogFromConfig(config);
      const fromConfig = {
        batchDiscountPercent: config.economics.batchDiscountPercent,
        overheadPerCustomerPico: overheadPerCustomerPico(config.economics),
      };
      const now = Date.now();
      // A synthetic population needs no ledger: do not create one just to read it.
      const report =
        scenario?.population && !existsSync(config.db)
          ? await runSimulation({ candidate, scenario, current: {}, catalog, now, ...fromConfig })
          : await withStorage({ db: config.db }, async ({ store, economics: reader }) => {
              const current = Object.fromEntries(
                (await store.control.listPlans()).map((p) => [p.name, p.spec]),
              );
              return runSimulation({
                candidate,
                scenario,
                from,
                to,
                reader,
                current,
                catalog,
                now,
                ...fromConfig,
              });
            });
      if (o.html) {
        const { writeFileSync } = await import('node:fs');
        const { renderSimulationHtml } = await import('../economics/simulate/render-html.js');
        writeFileSync(o.html, renderSimulationHtml(report));
      }
      if (o.json) return void process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.stdout.write(`${renderSimulationText(report)}\n`);
    });
}
