// The request-path token counter: exact o200k counts on ordinary text, never below the true count on any
// input, and linear in the input (a 1 MB run of one character used to take hours in js-tiktoken).
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { countTokens as libraryCount } from 'gpt-tokenizer/encoding/o200k_base';
import { PIECE_MAX, WORK_MAX } from '../src/pricing/bounded-count.js';
import {
  countTokens,
  countTokensBounded,
  estimateTokens,
  loadTokenizer,
} from '../src/pricing/estimate-tokens.js';

// The true o200k count, straight from the tokenizer (quadratic on long pieces: only for short inputs).
const truth = (t: string) => libraryCount(t, { disallowedSpecial: new Set() });
const bytes = (t: string) => Buffer.byteLength(t, 'utf8');

// Reference counts from an independent implementation (js-tiktoken 1.0.21, o200k_base, no special tokens).
const REFERENCE: [string, number][] = [
  ['hello world', 2],
  [
    'The quarterly report, filed on 2026-11-20, shows revenue of $1,234,567.89 (up 12%).\n\nNext steps:\n  - hire 3 engineers\n  - ship v2.0',
    47,
  ],
  ['function add(a, b) {\n\treturn a + b; // sum\n}\nconsole.log(add(40, 2));', 25],
  ['我们今天讨论季度报告，收入增长了百分之十二。', 13],
  ['Great job 🎉🎉 see you 👋🏽 tomorrow!', 14],
  ['สวัสดีครับ ยินดีต้อนรับ', 11],
];

/** One text of each awkward shape, `n` UTF-16 units long (give or take a surrogate pair). */
function shapes(n: number): Record<string, string> {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const build = (f: () => string) => {
    let s = '';
    while (s.length < n) s += f();
    return s;
  };
  return {
    'one repeated letter': 'a'.repeat(n),
    'random lowercase': build(() => String.fromCharCode(97 + (rnd() % 26))),
    'random uppercase then one lowercase': `${build(() => String.fromCharCode(65 + (rnd() % 26))).slice(1)}a`,
    CJK: build(() => String.fromCharCode(0x4e00 + (rnd() % 20000))),
    'random BMP characters': build(() => {
      const c = rnd() % 0xffff;
      return String.fromCharCode(c >= 0xd800 && c < 0xe000 ? 0x41 : c);
    }),
    emoji: build(() => String.fromCodePoint(0x1f600 + (rnd() % 80))),
    digits: build(() => String(rnd() % 10)),
    spaces: ' '.repeat(n),
    'spaces then a word': `${' '.repeat(n - 4)}word`,
    newlines: '\n'.repeat(n),
    punctuation: '!'.repeat(n),
    'combining marks': `a${'\u0301'.repeat(n - 1)}`,
    'long words between spaces': build(() => `${'x'.repeat(PIECE_MAX + 7)} `),
  };
}

before(() => loadTokenizer());

describe('token counting', () => {
  test('exact o200k counts on ordinary text', () => {
    for (const [text, expected] of REFERENCE)
      assert.deepEqual(countTokensBounded([text]), { tokens: expected, exact: true }, text);
    const all = REFERENCE.reduce((s, [, n]) => s + n, 0);
    assert.equal(countTokens(REFERENCE.map(([t]) => t)), all);
  });

  test('special-token text is counted as plain text, never an error', () => {
    // js-tiktoken's count of the same text with no special tokens allowed.
    assert.deepEqual(countTokensBounded(['ignore <|endoftext|> and <|endofprompt|> here']), {
      tokens: 17,
      exact: true,
    });
  });

  test('a piece too long for BPE counts its UTF-8 bytes, flagged, never below the true count', () => {
    // 8 "a"s make one o200k token: the true count of n "a"s is ceil(n / 8) (js-tiktoken: 300 → 38).
    const run = 'a'.repeat(300);
    assert.deepEqual(countTokensBounded([run]), { tokens: 300, exact: false });
    const text = `Summarise this: ${'b'.repeat(1000)} thanks`;
    const c = countTokensBounded([text]);
    assert.equal(c.exact, false);
    assert.ok(c.tokens >= truth(text), `${c.tokens} ≥ true ${truth(text)}`);
    // Only the run is bounded: the words around it are counted exactly (" " + 1000 "b" = 1001 bytes).
    assert.equal(c.tokens, truth('Summarise this:') + 1001 + truth(' thanks'));
  });

  test('never below the true count, and exact when no piece is long, on every shape', () => {
    for (const [shape, text] of Object.entries(shapes(1500))) {
      const c = countTokensBounded([text]);
      const t = truth(text);
      assert.ok(c.tokens >= t, `${shape}: ${c.tokens} ≥ true ${t}`);
      assert.ok(c.tokens <= bytes(text), `${shape}: at most one token per byte`);
      if (c.exact) assert.equal(c.tokens, t, `${shape}: exact means exact`);
    }
    const s = shapes(1500);
    assert.equal(countTokensBounded([s.digits ?? '']).exact, true, 'digits split into pieces of three');
    assert.equal(countTokensBounded([s['one repeated letter'] ?? '']).exact, false);
  });

  test('linear: 1 MB of each shape is counted, bounded by its UTF-8 bytes', () => {
    const started = performance.now();
    for (const [shape, text] of Object.entries(shapes(1_000_000))) {
      const c = countTokensBounded([text]);
      assert.ok(c.tokens > 0 && c.tokens <= bytes(text), `${shape}: ${c.tokens}`);
    }
    // A correctness guard, not a benchmark: one such run took js-tiktoken hours.
    const ms = performance.now() - started;
    assert.ok(ms < 30_000, `13 MB of awkward text took ${ms} ms`);
  });

  test('a body at the 32 MiB limit is counted by its bytes without being scanned', () => {
    const big = `${'é'.repeat(16 * 1024 * 1024)}`;
    assert.deepEqual(countTokensBounded([big]), { tokens: 32 * 1024 * 1024, exact: false });
  });

  test('one call shares one budget: past it, texts are bounded by bytes', () => {
    // Distinct English texts (too long for the cache), together well past the work budget.
    const texts = Array.from({ length: 12 }, (_, i) =>
      `Paragraph ${i}: the committee reviewed the figures and approved the plan. `.repeat(1400),
    );
    const chars = texts.reduce((s, t) => s + t.length, 0);
    assert.ok(4 * chars > WORK_MAX, 'the texts exceed the budget');
    const first = texts[0] ?? '';
    assert.deepEqual(
      countTokensBounded([first]),
      { tokens: truth(first), exact: true },
      'one alone is exact',
    );
    const c = countTokensBounded(texts);
    const t = texts.reduce((s, x) => s + truth(x), 0);
    assert.equal(c.exact, false);
    assert.ok(c.tokens >= t && c.tokens <= chars, `${c.tokens} between true ${t} and bytes ${chars}`);
  });

  test('many short texts in one call are bounded too, and a long one leaves the budget to the rest', () => {
    const texts = Array.from({ length: 50_000 }, (_, i) => `word${i}`);
    const c = countTokensBounded(texts);
    const t = texts.reduce((s, x) => s + truth(x), 0);
    assert.equal(c.exact, false, 'each text costs budget: 50,000 exceed it');
    assert.ok(c.tokens >= t && c.tokens <= texts.reduce((s, x) => s + x.length, 0), `${c.tokens} ≥ ${t}`);
    // A text too long to scan is bounded without spending the budget the short ones still need.
    const fresh = 'A sentence that no earlier test has counted (so not cached).';
    const mixed = countTokensBounded(['x'.repeat(WORK_MAX), fresh]);
    assert.deepEqual(mixed, { tokens: WORK_MAX + truth(fresh), exact: false });
    assert.deepEqual(
      countTokensBounded([fresh]),
      { tokens: truth(fresh), exact: true },
      'counted exactly, cached',
    );
  });

  test('counts of repeated texts come from the cache and cost no budget', () => {
    const doc = 'A system prompt that every call resends, with tools and rules. '.repeat(1000);
    const once = countTokensBounded([doc]);
    assert.equal(once.exact, true);
    // 100 copies are 6.4M characters: far past the budget if each were counted again.
    const many = Array.from({ length: 100 }, () => doc);
    assert.ok(4 * doc.length * many.length > WORK_MAX);
    assert.deepEqual(countTokensBounded(many), { tokens: 100 * once.tokens, exact: true });
  });

  test('estimateTokens (aborted streams) uses the same bounded count', async () => {
    const texts = ['hello world', 'a'.repeat(5000)];
    assert.equal(await estimateTokens(texts), 2 + 5000);
    assert.equal(await estimateTokens([]), 0);
  });
});
