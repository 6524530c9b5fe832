#!/usr/bin/env node
import { Command } from 'commander';
import { registerCustomers } from './customers.js';
import { registerDemo } from './demo.js';
import { registerEvents } from './events.js';
import { registerKeys } from './keys.js';
import { registerPlans } from './plans.js';
import { registerRetention } from './retention.js';
import { registerServe } from './serve.js';
import { registerUsage } from './usage.js';
import { registerWallets } from './wallets.js';

const program = new Command()
  .name('margin')
  .description('Margin: LLM cost-control gateway — exact metering, plans and caps')
  .showHelpAfterError();
registerServe(program);
registerKeys(program);
registerUsage(program);
registerPlans(program);
registerCustomers(program);
registerWallets(program);
registerEvents(program);
registerRetention(program);
registerDemo(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`margin: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
