// customer.under_water through the real gateway and SDK: raised once per customer and month when the
// month's loaded cost passes its revenue, never for a customer whose revenue covers its cost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { listEvents } from '../src/events/sqlite-outbox-store.js';
import { createVirtualKey } from '../src/identity/virtual-keys.js';
import { picoToUsd } from '../src/util/money.js';
import { startHarness } from './helpers/harness.js';

test('customer.under_water: once per month, with cost, revenue and plan', async () => {
  const h = await startHarness();
  try {
    const now = Date.now();
    const month = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
    await h.gateway.store.control.upsertPlans(
      {
        tiny: {
          priceUsd: '20',
          soft: { thresholdPercent: 80 },
          hardCap: { action: 'block', concurrency: 1, lowerMaxTokens: false },
          features: {},
          rateLimits: {},
        },
      },
      now,
    );
    // acme pays an MRR of one pico-dollar: any call puts it under water. globex pays the plan's $20.
    await h.gateway.store.control.setCustomer({ id: 'acme', plan: 'tiny', mrrPico: 1n, since: month }, now);
    await h.gateway.store.control.setCustomer({ id: 'globex', plan: 'tiny', since: month }, now);
    await h.gateway.limits.refresh(true);
    const { key } = await createVirtualKey(h.gateway.store, { customer: 'globex', now });
    const globex = new OpenAI({ apiKey: key, baseURL: `${h.gateway.url}/v1`, maxRetries: 0 });
    for (const client of [h.openai, globex])
      await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
    await h.gateway.writer.drain();
    assert.equal(await h.gateway.checkUnderWater(), 1);
    await h.gateway.writer.drain();
    const events = listEvents(h.db, { type: 'customer.under_water' });
    assert.equal(events.length, 1);
    const e = events[0];
    assert.ok(e);
    assert.equal(e.customer, 'acme');
    const cost = (await h.rows())
      .filter((r) => r.customer === 'acme')
      .reduce((s, r) => s + BigInt(r.costPico ?? 0), 0n);
    const payload = (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload) as Record<
      string,
      unknown
    >;
    assert.equal(payload.cost_usd, picoToUsd(cost));
    assert.equal(payload.plan, 'tiny');
    // The month's revenue: an MRR of 1 pico for the days from the 1st on, prorated and rounded once.
    assert.ok(payload.revenue_usd === '0' || payload.revenue_usd === '0.000000000001');
    // Another call and another check in the same month: still one event.
    await h.openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'again' }],
    });
    await h.gateway.writer.drain();
    await h.gateway.checkUnderWater();
    await h.gateway.writer.drain();
    assert.equal(listEvents(h.db, { type: 'customer.under_water' }).length, 1);
  } finally {
    await h.close();
  }
});
