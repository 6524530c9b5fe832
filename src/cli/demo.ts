import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { createVirtualKey } from '../identity/virtual-keys.js';
import { presentUsage, usageTotal } from '../ledger/present.js';
import { renderUsage } from './usage.js';

const CUSTOMERS = [
  { id: 'acme', calls: 12 },
  { id: 'globex', calls: 6 },
  { id: 'initech', calls: 3 },
];
const FEATURES = ['chat', 'summarize', 'search'];
const HANDBOOK = 'You are the support assistant of a SaaS product. '.repeat(200);

/**
 * The newcomer's main job: a local stand-in provider, the real gateway on the embedded SQLite ledger, and
 * traffic from the official SDKs — then cost per customer, from the ledger.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the gateway against a local STAND-IN provider, send traffic, print cost per customer')
    .option('--db <file>', 'ledger file (default: a fresh file in a temp folder)')
    .action(async (o: { db?: string }) => {
      const db = o.db ?? join(mkdtempSync(join(tmpdir(), 'margin-demo-')), 'margin.db');
      // The SDKs, the gateway and the stand-in load only when the demo runs, not for every CLI command.
      const [
        { default: Anthropic },
        { default: OpenAI },
        { loadConfig },
        { startGateway },
        { startStandin },
        { demoPlans },
        { demoDurability },
        { demoEconomics },
      ] = await Promise.all([
        import('@anthropic-ai/sdk'),
        import('openai'),
        import('../config/load.js'),
        import('../gateway.js'),
        import('../standin/server.js'),
        import('./demo-plans.js'),
        import('./demo-durability.js'),
        import('./demo-economics.js'),
      ]);
      const standin = await startStandin({ port: 0 });
      const config = loadConfig({
        env: {
          MARGIN_UPSTREAM_OPENAI_URL: `${standin.url}/v1`,
          MARGIN_UPSTREAM_ANTHROPIC_URL: standin.url,
          OPENAI_API_KEY: 'sk-standin',
          ANTHROPIC_API_KEY: 'sk-ant-standin',
        },
        overrides: { port: 0, db },
      });
      const gw = await startGateway(config);
      const say = (s: string) => process.stdout.write(`${s}\n`);
      say('Margin demo');
      say(`  provider: a LOCAL STAND-IN at ${standin.url} — no real LLM is called; replies and token`);
      say('            counts are synthetic, prices are the real catalog prices for the models named.');
      say(`  gateway:  ${gw.url}   ledger: ${db}`);
      try {
        for (const c of CUSTOMERS) {
          const { key } = await createVirtualKey(gw.store, { customer: c.id, now: Date.now() });
          const openai = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
          const anthropic = new Anthropic({ apiKey: key, baseURL: gw.url, maxRetries: 0 });
          for (let i = 0; i < c.calls; i++) {
            const feature = FEATURES[i % FEATURES.length] as string;
            const headers = { 'x-margin-feature': feature };
            const prompt = `Request ${i} from ${c.id}: ${'please summarise this paragraph. '.repeat(4 + i)}`;
            if (i % 2 === 0) {
              const stream = await openai.chat.completions.create(
                { model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], stream: i % 4 === 0 },
                { headers },
              );
              if (Symbol.asyncIterator in stream) for await (const _ of stream);
            } else {
              // A shared, cached system prompt: the first call writes the prompt cache, later calls read it.
              const cached = i === 1 ? { cacheCreation5m: 1800 } : { cacheRead: 1800 };
              standin.enqueue({
                kind: 'reply',
                usage: { inputTokens: Math.ceil(prompt.length / 4), ...cached },
              });
              const msg = anthropic.messages.stream(
                {
                  model: 'claude-haiku-4-5',
                  max_tokens: 256,
                  system: [{ type: 'text', text: HANDBOOK, cache_control: { type: 'ephemeral' } }],
                  messages: [{ role: 'user', content: prompt }],
                },
                { headers },
              );
              await msg.finalMessage();
            }
          }
        }
        await gw.writer.drain(); // the ledger is fed from the request journal in the background
        const groups = await gw.store.usage({ by: 'customer' });
        say('\nCost per customer (exact, from the ledger):');
        say(renderUsage('customer', groups.map(presentUsage), usageTotal(groups)));
        const byFeature = await gw.store.usage({ by: 'feature' });
        say('\nCost per feature:');
        say(renderUsage('feature', byFeature.map(presentUsage), usageTotal(byFeature)));
        await demoPlans(gw, db, say);
        await demoDurability(gw, db, say);
        await demoEconomics(gw, config, dirname(db), say);
        say(`\nInspect it yourself: margin usage --db ${db} --by model; margin events --db ${db}`);
      } finally {
        await gw.close();
        await standin.close();
      }
    });
}
