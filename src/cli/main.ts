#!/usr/bin/env node
import { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerKeys } from './keys.js';
import { registerServe } from './serve.js';
import { registerUsage } from './usage.js';

const program = new Command()
  .name('margin')
  .description('Margin: LLM cost-control gateway — exact metering, plans and caps')
  .showHelpAfterError();
registerServe(program);
registerKeys(program);
registerUsage(program);
registerDemo(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`margin: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
