import OpenAI from 'openai';
import { listEvents } from '../events/sqlite-outbox-store.js';
import type { Gateway } from '../gateway.js';
import { createVirtualKey } from '../identity/virtual-keys.js';

/**
 * The demo's second act: a customer on a small plan runs into its soft threshold (one event, a cheaper
 * lane) and then its hard cap (a readable 402 with the upgrade path).
 */
export async function demoPlans(gw: Gateway, db: string, say: (s: string) => void): Promise<void> {
  const now = Date.now();
  await gw.store.control.upsertPlans(
    {
      'demo-starter': {
        priceUsd: '29',
        budget: { unit: 'usd', amount: '0.0005' },
        soft: { thresholdPercent: 80, lanes: { 'gpt-4o': 'gpt-4o-mini' } },
        hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
        features: {},
        rateLimits: {},
        upgradeUrl: 'https://example.com/upgrade',
      },
    },
    now,
  );
  await gw.store.control.setCustomer({ id: 'umbrella', plan: 'demo-starter' }, now);
  await gw.limits.refresh(true);
  const { key } = await createVirtualKey(gw.store, { customer: 'umbrella', now });
  const openai = new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
  say(
    '\nPlans and caps: customer umbrella on plan demo-starter ($0.0005 budget; gpt-4o → gpt-4o-mini at 80%)',
  );
  let lastModel = '';
  for (let i = 1; i <= 100; i++) {
    try {
      const { data, response } = await openai.chat.completions
        .create({ model: 'gpt-4o', max_tokens: 12, messages: [{ role: 'user', content: `Question ${i}` }] })
        .withResponse();
      // One line per lane change keeps the output short.
      if (data.model !== lastModel) {
        const used = response.headers.get('x-margin-budget-used');
        const cap = response.headers.get('x-margin-budget-limit');
        say(`  call ${i}: asked for gpt-4o, served by ${data.model}; budget used $${used} of $${cap}`);
        lastModel = data.model;
      }
    } catch (e) {
      if (!(e instanceof OpenAI.APIError)) throw e;
      say(`  call ${i}: HTTP ${e.status} — ${e.message}`);
      break;
    }
  }
  await gw.writer.drain();
  for (const e of listEvents(db, { customer: 'umbrella' }).reverse())
    say(`  event ${e.type}: ${JSON.stringify(e.payload)}`);
}
