// PriceCatalog + costPico against the catalog's published $/MTok (BigInt, computed here) and against
// genai-prices' own float calculator; overrides, long-context tiers, dated prices, and the money helpers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { calcPrice, findProvider, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import { type PriceOverride, priceOverrideSchema } from '../src/config/schema.js';
import { PriceCatalog } from '../src/pricing/catalog.js';
import { costPico } from '../src/pricing/cost.js';
import type { Usage } from '../src/pricing/usage.js';
import { PICO_PER_USD, picoToUsd, usdToPico } from '../src/util/money.js';

const NOW = Date.parse('2026-11-24T12:00:00Z');

// ---- independent expectations -------------------------------------------------------------------------

/** Exact pico-USD per token from a $/MTok number, by decimal-string arithmetic (no float multiply). */
function picoPerToken(usdPerMtok: number): bigint {
  const [mant = '', expPart] = String(usdPerMtok).split('e');
  const [whole = '0', frac = ''] = mant.split('.');
  // value = digits × 10^(exp − frac.length) $/MTok, and 1 $/MTok = 10^6 pico/token
  const shift = 6 + Number(expPart ?? 0) - frac.length;
  if (shift < 0) throw new Error(`${usdPerMtok} $/MTok is not a whole number of pico-USD per token`);
  return BigInt(`${whole}${frac}`) * 10n ** BigInt(shift);
}

type Price = ModelPrice[string];
/** Price of one class at a total input size: the highest tier whose start the input exceeds. */
function priceAt(v: Price, totalInput: number): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return picoPerToken(v);
  let p = v.base;
  for (const t of [...v.tiers].sort((a, b) => a.start - b.start)) if (totalInput > t.start) p = t.price;
  return picoPerToken(p);
}

const CLASSES = ['input', 'output', 'cacheRead', 'cacheWrite5m', 'cacheWrite1h'] as const;
type Cls = (typeof CLASSES)[number];

/** Per-token rates of every class as genai-prices' unit hierarchy bills them (unpriced child → parent). */
function expectedRates(p: ModelPrice, totalInput: number): Record<Cls, bigint> {
  const input = priceAt(p.input_mtok, totalInput);
  const output = priceAt(p.output_mtok, totalInput);
  assert.ok(input !== undefined && output !== undefined, 'model has input and output prices');
  const write5m = priceAt(p.cache_write_mtok, totalInput) ?? input;
  return {
    input,
    output,
    cacheRead: priceAt(p.cache_read_mtok, totalInput) ?? input,
    cacheWrite5m: write5m,
    cacheWrite1h: priceAt(p.cache_write_1h_mtok, totalInput) ?? write5m,
  };
}

function usageOf(u: Partial<Usage>): Usage {
  return { input: 0, output: 0, reasoning: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, ...u };
}
const totalIn = (u: Usage) => u.input + u.cacheRead + u.cacheWrite5m + u.cacheWrite1h;

function expectedPico(p: ModelPrice, u: Usage): bigint {
  const r = expectedRates(p, totalIn(u));
  let sum = 0n;
  for (const c of CLASSES) sum += BigInt(u[c]) * r[c];
  return sum;
}

/** genai-prices' usage shape: input_tokens INCLUDES every cache token; cache_write_tokens includes 1h. */
function catalogUsage(u: Usage) {
  return {
    input_tokens: totalIn(u),
    output_tokens: u.output,
    cache_read_tokens: u.cacheRead,
    cache_write_tokens: u.cacheWrite5m + u.cacheWrite1h,
    cache_write_1h_tokens: u.cacheWrite1h,
  };
}

function catalogModel(provider: string, id: string): ModelInfo {
  const m = findProvider({ providerId: provider })?.models.find((x) => x.id === id);
  assert.ok(m, `catalog has ${provider}/${id}`);
  return m;
}
function flatPrices(provider: string, id: string): ModelPrice {
  const m = catalogModel(provider, id);
  assert.ok(!Array.isArray(m.prices), `${provider}/${id} has a single price table`);
  return m.prices;
}

function assertMatchesCatalogFloat(provider: string, model: string, u: Usage, pico: number, at = NOW) {
  const r = calcPrice(catalogUsage(u), model, { providerId: provider, timestamp: new Date(at) });
  assert.ok(r, `calcPrice prices ${provider}/${model}`);
  const ours = Number(pico) / 1e12;
  assert.ok(
    Math.abs(ours - r.total_price) < 1e-12,
    `${provider}/${model} ${JSON.stringify(u)}: ours ${ours} vs genai-prices ${r.total_price}`,
  );
}

// ---- tests ----------------------------------------------------------------------------------------------

describe('retail prices per token class', () => {
  const cases: [string, string][] = [
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-sonnet-4-5'],
    ['anthropic', 'claude-haiku-4-5'],
  ];
  for (const [provider, model] of cases) {
    test(`${provider}/${model}: every class equals the BigInt computation and calcPrice`, () => {
      const catalog = new PriceCatalog();
      const quote = catalog.quote(provider, model, NOW);
      assert.ok(quote, 'priced');
      assert.equal(quote.catalogModel, model);
      const prices = flatPrices(provider, model);
      // Each class alone, then all together (amounts far below any long-context threshold).
      const amounts: Record<Cls, number> = {
        input: 12_345,
        output: 6_789,
        cacheRead: 4_321,
        cacheWrite5m: 2_222,
        cacheWrite1h: 1_111,
      };
      for (const c of CLASSES) {
        const u = usageOf({ [c]: amounts[c] });
        const pico = costPico(u, quote);
        assert.ok(Number.isSafeInteger(pico), `${c}: integer pico`);
        assert.equal(BigInt(pico), expectedPico(prices, u), `${c}`);
        assertMatchesCatalogFloat(provider, model, u, pico);
      }
      const all = usageOf(amounts);
      const pico = costPico(all, quote);
      assert.equal(BigInt(pico), expectedPico(prices, all));
      assertMatchesCatalogFloat(provider, model, all, pico);
    });
  }

  test('gpt-4o-mini literal rates: $0.15 / $0.60 / $0.075 per MTok are 150000 / 600000 / 75000 pico', () => {
    const q = new PriceCatalog().quote('openai', 'gpt-4o-mini', NOW);
    assert.ok(q);
    const p = flatPrices('openai', 'gpt-4o-mini');
    // Guard: the literal numbers below only hold while the catalog says these prices.
    assert.deepEqual([p.input_mtok, p.output_mtok, p.cache_read_mtok], [0.15, 0.6, 0.075]);
    assert.equal(costPico(usageOf({ input: 1_000_000 }), q), 150_000_000_000);
    assert.equal(costPico(usageOf({ output: 1 }), q), 600_000);
    assert.equal(costPico(usageOf({ cacheRead: 3 }), q), 225_000);
  });

  test('reasoning tokens are informational: never charged on top of output', () => {
    const q = new PriceCatalog().quote('openai', 'gpt-4o-mini', NOW);
    assert.ok(q);
    assert.equal(
      costPico(usageOf({ output: 500, reasoning: 400 }), q),
      costPico(usageOf({ output: 500 }), q),
    );
  });

  test('a dated snapshot name resolves to its catalog model', () => {
    const q = new PriceCatalog().quote('openai', 'gpt-4o-mini-2024-07-18', NOW);
    assert.equal(q?.catalogModel, 'gpt-4o-mini');
  });
});

describe('long-context tiers', () => {
  const provider = 'anthropic';
  const model = 'claude-sonnet-4-5';

  test('precondition: the catalog tiers claude-sonnet-4-5 above 200k input', () => {
    const p = flatPrices(provider, model);
    assert.equal(typeof p.input_mtok, 'object', 'input_mtok is {base, tiers}');
  });

  test('price switches for every class once TOTAL input (fresh + cache) exceeds the tier start', () => {
    const p = flatPrices(provider, model);
    const tiered = p.input_mtok as { base: number; tiers: { start: number; price: number }[] };
    const start = tiered.tiers[0]?.start;
    assert.ok(start !== undefined && start > 0);
    const q = new PriceCatalog().quote(provider, model, NOW);
    assert.ok(q);

    const at = usageOf({ input: start - 10_000, cacheRead: 6_000, cacheWrite5m: 3_000, cacheWrite1h: 1_000 });
    const above = { ...at, input: at.input + 1 };
    at.output = above.output = 2_000;
    assert.equal(totalIn(at), start);
    assert.equal(totalIn(above), start + 1);

    const costAt = costPico(at, q);
    const costAbove = costPico(above, q);
    assert.equal(BigInt(costAt), expectedPico(p, at));
    assert.equal(BigInt(costAbove), expectedPico(p, above));
    assertMatchesCatalogFloat(provider, model, at, costAt);
    assertMatchesCatalogFloat(provider, model, above, costAbove);

    // Above the threshold EVERY class (output too) is at the tier price, not only the marginal tokens.
    const base = expectedRates(p, start);
    const tier = expectedRates(p, start + 1);
    for (const c of CLASSES) assert.ok(tier[c] > base[c], `${c} tier price is higher`);
    assert.equal(
      BigInt(costAbove),
      BigInt(above.input) * tier.input +
        BigInt(above.output) * tier.output +
        BigInt(above.cacheRead) * tier.cacheRead +
        BigInt(above.cacheWrite5m) * tier.cacheWrite5m +
        BigInt(above.cacheWrite1h) * tier.cacheWrite1h,
    );
    // Output alone, with a huge cached prompt, is billed at the long-context output price.
    const cachedOnly = usageOf({ input: 10, cacheRead: start, output: 1_000 });
    assert.equal(BigInt(costPico(cachedOnly, q)), expectedPico(p, cachedOnly));
    assert.equal(
      BigInt(costPico(usageOf({ input: 10, cacheRead: start, output: 1 }), q)) -
        BigInt(costPico(usageOf({ input: 10, cacheRead: start, output: 0 }), q)),
      tier.output,
    );
  });
});

describe('unpriced', () => {
  test('an unknown model or provider has no quote (unpriced, never $0)', () => {
    const c = new PriceCatalog();
    assert.equal(c.quote('openai', 'definitely-not-a-model-xyz', NOW), undefined);
    assert.equal(c.quote('no-such-provider', 'mystery-model', NOW), undefined);
    // Asking twice (cached lookup) does not turn it into a price either.
    assert.equal(c.quote('openai', 'definitely-not-a-model-xyz', NOW), undefined);
  });
});

describe('overrides', () => {
  const ov = (o: unknown): PriceOverride => priceOverrideSchema.parse(o);

  for (const [provider, model] of [
    ['openai', 'gpt-4o-mini'],
    ['anthropic', 'claude-sonnet-4-5'],
  ] as const) {
    test(`discountPercent 80 on ${provider}/${model}: exactly 20% of retail per token, tiers included`, () => {
      const retail = new PriceCatalog().quote(provider, model, NOW);
      const disc = new PriceCatalog([ov({ provider, model, discountPercent: 80 })]).quote(
        provider,
        model,
        NOW,
      );
      assert.ok(retail && disc);
      const p = flatPrices(provider, model);
      for (const total of [1_000, 300_000]) {
        const r = expectedRates(p, total);
        for (const c of CLASSES) {
          assert.equal((r[c] * 20n) % 100n, 0n, 'precondition: 20% of this rate is whole pico');
          const u = usageOf({ [c]: 1, input: c === 'input' ? total : total - 1 });
          const extra: number = costPico(usageOf({ ...u, [c]: u[c] + 1 }), disc) - costPico(u, disc);
          assert.equal(BigInt(extra), (r[c] * 20n) / 100n, `${c} at ${total} input`);
        }
      }
      const u = usageOf({ input: 1000, output: 500, cacheRead: 300, cacheWrite5m: 200, cacheWrite1h: 100 });
      assert.equal(BigInt(costPico(u, disc)) * 5n, BigInt(costPico(u, retail)));
    });
  }

  test('a discount rule for one model leaves other models at retail; a glob covers many', () => {
    const c = new PriceCatalog([ov({ provider: 'openai', model: 'gpt-4o-mini', discountPercent: 50 })]);
    const g = new PriceCatalog([ov({ provider: 'openai', model: 'gpt-4o*', discountPercent: 50 })]);
    const u = usageOf({ input: 1000, output: 1000 });
    const r4o = expectedPico(flatPrices('openai', 'gpt-4o'), u);
    const rMini = expectedPico(flatPrices('openai', 'gpt-4o-mini'), u);
    assert.equal(BigInt(costPico(u, c.quote('openai', 'gpt-4o', NOW)!)), r4o);
    assert.equal(BigInt(costPico(u, c.quote('openai', 'gpt-4o-mini', NOW)!)), rMini / 2n);
    assert.equal(BigInt(costPico(u, g.quote('openai', 'gpt-4o', NOW)!)), r4o / 2n);
    assert.equal(BigInt(costPico(u, g.quote('openai', 'gpt-4o-mini', NOW)!)), rMini / 2n);
  });

  test('explicit prices price a model the catalog does not know; missing cache prices fall back to input', () => {
    const c = new PriceCatalog([
      ov({ provider: 'groq', model: 'my-private-llm', prices: { input_mtok: 0.05, output_mtok: 0.08 } }),
      ov({
        provider: 'groq',
        model: 'cached-llm',
        prices: { input_mtok: 1.25, output_mtok: 10, cache_read_mtok: 0.125, cache_write_mtok: 1.5625 },
      }),
    ]);
    assert.equal(new PriceCatalog().quote('groq', 'my-private-llm', NOW), undefined, 'unknown without it');
    const q = c.quote('groq', 'my-private-llm', NOW);
    assert.ok(q);
    const u = usageOf({
      input: 1_000_000,
      output: 2_000_000,
      cacheRead: 7,
      cacheWrite5m: 5,
      cacheWrite1h: 3,
    });
    assert.equal(
      BigInt(costPico(u, q)),
      1_000_000n * 50_000n + 2_000_000n * 80_000n + (7n + 5n + 3n) * 50_000n,
    );
    const q2 = c.quote('groq', 'cached-llm', NOW);
    assert.ok(q2);
    assert.equal(
      BigInt(costPico(u, q2)),
      1_000_000n * 1_250_000n + 2_000_000n * 10_000_000n + 7n * 125_000n + (5n + 3n) * 1_562_500n,
    );
    assert.equal(c.quote('groq', 'other-llm', NOW), undefined, 'the override is for that model only');
  });

  test('explicit prices win over the catalog for a known model', () => {
    const c = new PriceCatalog([
      ov({ provider: 'openai', model: 'gpt-4o-mini', prices: { input_mtok: 1, output_mtok: 2 } }),
    ]);
    const q = c.quote('openai', 'gpt-4o-mini', NOW);
    assert.ok(q);
    assert.equal(costPico(usageOf({ input: 3, output: 5 }), q), 3 * 1_000_000 + 5 * 2_000_000);
  });
});

describe('prices by date', () => {
  /** A model whose price list has a start_date period that changes input or output price. */
  function datedModel(): { provider: string; model: ModelInfo; index: number; startMs: number } {
    for (const provider of ['openai', 'anthropic', 'google', 'mistral']) {
      for (const m of findProvider({ providerId: provider })?.models ?? []) {
        if (!Array.isArray(m.prices)) continue;
        for (let i = 1; i < m.prices.length; i++) {
          const cur = m.prices[i];
          const prev = m.prices[i - 1];
          if (cur?.constraint?.type !== 'start_date' || !prev || prev.constraint?.type === 'time_of_date')
            continue;
          const a = cur.prices;
          const b = prev.prices;
          if (a.input_mtok === undefined || a.output_mtok === undefined) continue;
          if (b.input_mtok === undefined || b.output_mtok === undefined) continue;
          if (JSON.stringify([a.input_mtok, a.output_mtok]) === JSON.stringify([b.input_mtok, b.output_mtok]))
            continue;
          return { provider, model: m, index: i, startMs: Date.parse(cur.constraint.start_date) };
        }
      }
    }
    throw new Error('catalog has no start_date-constrained model');
  }

  test('the period in force at the request time is used, on both sides of a start_date', () => {
    const { provider, model, index, startMs } = datedModel();
    const list = model.prices as { prices: ModelPrice }[];
    const before = list[index - 1]!.prices;
    const after = list[index]!.prices;
    const c = new PriceCatalog();
    const u = usageOf({ input: 10_000, output: 3_000, cacheRead: 2_000 });
    // Later first, then earlier, from the same catalog instance: cached periods must not leak across dates.
    for (const [at, prices] of [
      [startMs, after],
      [startMs - 1, before],
      [startMs + 1, after],
    ] as const) {
      const q = c.quote(provider, model.id, at);
      assert.ok(q, `${model.id} priced at ${new Date(at).toISOString()}`);
      const pico = costPico(u, q);
      assert.equal(BigInt(pico), expectedPico(prices, u), `${model.id} at ${new Date(at).toISOString()}`);
      assertMatchesCatalogFloat(provider, model.id, u, pico, at);
    }
    assert.notEqual(expectedPico(before, u), expectedPico(after, u));
  });

  test('every multi-period model agrees with genai-prices period selection over a grid of times', () => {
    const c = new PriceCatalog();
    const u = usageOf({ input: 1_000, output: 1_000 });
    let checked = 0;
    for (const provider of ['openai', 'anthropic', 'google', 'mistral', 'deepseek']) {
      for (const m of findProvider({ providerId: provider })?.models ?? []) {
        if (!Array.isArray(m.prices)) continue;
        const times: number[] = [];
        for (const p of m.prices)
          if (p.constraint?.type === 'start_date') {
            const s = Date.parse(p.constraint.start_date);
            times.push(s - 1, s, s + 3_600_000);
          }
        for (let h = 0; h < 24; h++) times.push(Date.UTC(2026, 10, 24, h, 15), Date.UTC(2026, 10, 24, h, 45));
        for (const at of times) {
          const r = calcPrice({ input_tokens: 1, output_tokens: 1 }, m.id, {
            providerId: provider,
            timestamp: new Date(at),
          });
          if (!r || r.model.id !== m.id) continue;
          const q = c.quote(provider, m.id, at);
          const mp = r.model_price;
          if (mp.input_mtok === undefined || mp.output_mtok === undefined) {
            assert.equal(q, undefined, `${m.id}: no token prices → unpriced`);
            continue;
          }
          assert.ok(q, `${provider}/${m.id} priced at ${new Date(at).toISOString()}`);
          assert.equal(
            BigInt(costPico(u, q)),
            expectedPico(mp, u),
            `${provider}/${m.id} at ${new Date(at).toISOString()}`,
          );
          checked++;
        }
      }
    }
    assert.ok(checked > 50, `checked ${checked} (model, time) pairs`);
  });
});

describe('money helpers', () => {
  test('picoToUsd renders exact decimals; usdToPico parses them back', () => {
    const cases: [bigint, string][] = [
      [0n, '0'],
      [1n, '0.000000000001'],
      [1_500_000n, '0.0000015'],
      [PICO_PER_USD, '1'],
      [-2_500_000_000_000n, '-2.5'],
      [123_456_789_012_345_678_901n, '123456789.012345678901'],
      [BigInt(Number.MAX_SAFE_INTEGER) * 1000n + 7n, '9007199.254740991007'],
    ];
    for (const [pico, usd] of cases) {
      assert.equal(picoToUsd(pico), usd);
      assert.equal(usdToPico(usd), pico);
    }
    assert.equal(picoToUsd(150_000), '0.00000015', 'accepts a number');
    assert.equal(usdToPico('0.10'), 100_000_000_000n);
    assert.equal(usdToPico(' 3 '), 3n * PICO_PER_USD);
  });

  test('round trip over many values', () => {
    let x = 1n;
    for (let i = 0; i < 200; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) % (1n << 80n);
      for (const v of [x, -x, x % 1000n]) assert.equal(usdToPico(picoToUsd(v)), v);
    }
  });

  test('usdToPico refuses anything that is not a plain decimal (no floats, no sub-pico)', () => {
    for (const bad of ['', 'abc', '1e-6', '0.0000000000001', '1.2.3', '$1', '.5', '1,5', 'NaN'])
      assert.throws(() => usdToPico(bad), /not a decimal USD amount/, bad);
  });

  test('no float drift: a million rows of 1 pico sum to exactly 0.000001; 0.1 + 0.2 is 0.3', () => {
    let sum = 0n;
    for (let i = 0; i < 1_000_000; i++) sum += BigInt(1);
    assert.equal(picoToUsd(sum), '0.000001');
    assert.equal(picoToUsd(usdToPico('0.1') + usdToPico('0.2')), '0.3');
    let cents = 0n;
    for (let i = 0; i < 10_000; i++) cents += usdToPico('0.01');
    assert.equal(picoToUsd(cents), '100');
  });
});
