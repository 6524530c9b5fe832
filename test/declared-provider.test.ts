import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { startStandin } from '../src/standin/server.js';
import { expectedPico } from './helpers/expected-cost.js';
import { type Harness, startHarness } from './helpers/harness.js';

describe('declared OpenAI-compatible provider, negotiated rates, upstream timeout', () => {
  let h: Harness;
  let slowUrl: string;
  let closeSlow: () => Promise<void>;
  const messages = [{ role: 'user' as const, content: 'hello' }];

  before(async () => {
    // A second stand-in plays a slow self-hosted upstream with a short timeout.
    const slow = await startStandin({ port: 0 });
    slow.setDefault({ kind: 'reply', firstByteDelayMs: 1500 });
    slowUrl = slow.url;
    closeSlow = () => slow.close();
    const dir = mkdtempSync(join(tmpdir(), 'margin-cfg-'));
    const file = join(dir, 'margin.yaml');
    // The harness sets MARGIN_UPSTREAM_* from the env; the file adds two declared providers and overrides.
    writeFileSync(
      file,
      [
        'providers:',
        '  together:',
        '    protocol: openai',
        '    baseUrl: PLACEHOLDER/v1',
        '    apiKey: tk-secret',
        '    models: [llama-3.3-70b]',
        '  slowhost:',
        '    protocol: openai',
        `    baseUrl: ${slowUrl}`,
        '    apiKey: local-key',
        '    timeoutMs: 300',
        'pricing:',
        '  overrides:',
        '    - { provider: together, model: "llama-*", prices: { input_mtok: 0.88, output_mtok: 0.88 } }',
        '    - { provider: openai, model: "gpt-4o*", discountPercent: 80 }',
      ].join('\n'),
    );
    h = await startHarness({
      configFile: file,
      rewriteConfig: (text, standinUrl) => text.replace('PLACEHOLDER', standinUrl),
    });
  });
  after(async () => {
    await h.close();
    await closeSlow();
  });

  test('provider/model routes to the declared upstream with the prefix stripped and its own key', async () => {
    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 1000, outputTokens: 500 } });
    await h.openai.chat.completions.create({ model: 'together/llama-3.3-70b', messages });
    const sent = h.standin.requests.at(-1);
    assert.equal((sent?.body as { model?: string } | undefined)?.model, 'llama-3.3-70b');
    assert.equal(sent?.headers.authorization, 'Bearer tk-secret');
    const row = await h.lastRow();
    assert.equal(row.provider, 'together');
    assert.equal(row.modelRequested, 'together/llama-3.3-70b');
    // Explicit config prices: 0.88 $/MTok = 880,000 pico-USD per token.
    assert.equal(row.costPico, 1500 * 880_000);
    // A declared model is also reachable by its bare name.
    await h.openai.chat.completions.create({ model: 'llama-3.3-70b', messages });
    assert.equal((await h.lastRow()).provider, 'together');
  });

  test('a negotiated discount prices exactly 20% of retail', async () => {
    h.standin.enqueue({ kind: 'reply', usage: { inputTokens: 4000, outputTokens: 300 } });
    await h.openai.chat.completions.create({ model: 'gpt-4o', messages });
    const row = await h.lastRow();
    const retail = expectedPico('openai', 'gpt-4o', { input: 4000, output: 300 });
    assert.equal(BigInt(row.costPico ?? -1), (retail * 20n) / 100n);
  });

  test('an upstream that does not answer in time gives a 504 in the caller’s shape, recorded', async () => {
    await assert.rejects(
      h.openai.chat.completions.create({ model: 'slowhost/any-model', messages }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError);
        assert.equal(e.status, 504);
        assert.match(e.message, /timed out/);
        return true;
      },
    );
    const row = await h.lastRow();
    assert.equal(row.errorCode, 'upstream_timeout');
    assert.equal(row.costPico, 0);
  });
});
