// The economics charts and the self-contained HTML report: the SVG text holds the expected series
// (bars per tier × lever, histogram counts, percentile and cap labels with their values, a log axis),
// the page inlines them with nothing external and every text escaped, and Chromium draws them.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { usdLabel, usdTick } from '../src/economics/charts/format.js';
import {
  costDistributionSvg,
  marginFloorLeversSvg,
  weeklyTrendSvg,
  writeSvgFiles,
} from '../src/economics/charts/index.js';
import { logBins } from '../src/economics/charts/log-bins.js';
import { stackLabels } from '../src/economics/charts/marker-labels.js';
import { renderReportPage } from '../src/economics/html/report-page.js';

// ---- reading the SVG text ---------------------------------------------------------------------------

interface SvgText {
  text: string;
  x: number;
  y: number;
}

function unescapeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Every <text> element with its content and translate() position. */
function texts(svg: string): SvgText[] {
  return [...svg.matchAll(/<text\b([^>]*)>([^<]*)<\/text>/g)].map((m) => {
    const t = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(m[1] ?? '');
    const x = /\sx="([-\d.]+)"/.exec(m[1] ?? '');
    return {
      text: unescapeXml(m[2] ?? ''),
      x: Number(t?.[1] ?? x?.[1] ?? Number.NaN),
      y: Number(t?.[2] ?? 0),
    };
  });
}

function textOf(svg: string, text: string): SvgText {
  const found = texts(svg).find((t) => t.text === text);
  assert.ok(
    found,
    `expected a text element "${text}" in the SVG; found: ${texts(svg)
      .map((t) => t.text)
      .join(' | ')}`,
  );
  return found;
}

/** Data elements (bars, rects, markers) ECharts drew for one series. */
function dataPaths(svg: string, seriesIndex: number): string[] {
  return [...svg.matchAll(/<path\b[^>]*>/g)]
    .map((m) => m[0])
    .filter(
      (p) => p.includes(`ecmeta_series_index="${seriesIndex}"`) && p.includes('ecmeta_ssr_type="chart"'),
    );
}

/** Height of a rectangle path "M x y l w 0 l 0 h l -w 0 Z". */
function rectHeight(path: string): number {
  const d = /d="M[-\d.]+ [-\d.]+l[-\d.]+ 0l0 ([-\d.]+)/.exec(path);
  assert.ok(d, `not a rectangle path: ${path}`);
  return Math.abs(Number(d[1]));
}

/** x of a vertical line path "M x y1 L x y2". */
function verticalLineX(path: string): number {
  const d = /d="M([-\d.]+) [-\d.]+L([-\d.]+) [-\d.]+"/.exec(path);
  assert.ok(d && d[1] === d[2], `not a vertical line: ${path}`);
  return Number(d[1]);
}

// ---- cost distribution --------------------------------------------------------------------------------

// Twenty customers paying $1, $2, … $20. Nearest rank over 20: P50 is the 10th ($10), P90 the 18th,
// P95 the 19th, P99 the ⌈19.8⌉ = 20th.
const TWENTY = Array.from({ length: 20 }, (_, i) => `${i + 1}.00`);

describe('cost distribution chart', () => {
  const svg = costDistributionSvg({
    costs: TWENTY,
    caps: [
      { label: 'Starter cap', usd: '5' },
      { label: 'Pro cap', usd: '15.50' },
    ],
  });

  test('marks P50/P90/P95/P99 (nearest rank) and each cap with its value', () => {
    for (const label of [
      'P50 $10.00',
      'P90 $18.00',
      'P95 $19.00',
      'P99 $20.00',
      'Starter cap $5.00',
      'Pro cap $15.50',
    ]) {
      textOf(svg, label);
    }
    assert.equal(dataPaths(svg, 1).length, 4, 'four percentile lines');
    assert.equal(dataPaths(svg, 2).length, 2, 'two cap lines');
    assert.match(svg, /stroke-dasharray/, 'caps are dashed');
  });

  test('the cost axis is logarithmic, in dollars', () => {
    const one = textOf(svg, '$1');
    const ten = textOf(svg, '$10');
    const hundred = textOf(svg, '$100');
    // Equal steps per decade: the log scale, not a linear one ($10 would sit a tenth of the way).
    assert.ok(
      Math.abs(ten.x - one.x - (hundred.x - ten.x)) < 0.5,
      `decades ${one.x}, ${ten.x}, ${hundred.x}`,
    );
    // The P50 line ($10) stands exactly on the $10 tick.
    const p50 = dataPaths(svg, 1).map(verticalLineX);
    assert.ok(
      p50.some((x) => Math.abs(x - ten.x) < 1),
      `a line at x=${ten.x}: ${p50.join(', ')}`,
    );
  });

  test('histogram counts per log-spaced bin match a hand count', () => {
    // Bins over $1–$100 with edges 1, 1.25, 1.6, 2, 2.5, 3.15, 4, 5, 6.3, 8, 10, 12.5, 16, 20, 25, …:
    // $1 | $2 | $3 | $4 | $5 $6 | $7 | $8 $9 | $10 $11 $12 | $13 $14 $15 | $16–$19 | $20
    const expected = [1, 1, 1, 1, 2, 1, 2, 3, 3, 4, 1];
    const bars = dataPaths(svg, 0);
    assert.equal(bars.length, expected.length, 'one rectangle per non-empty bin');
    const unit = rectHeight(bars[0]!);
    assert.deepEqual(
      bars.map((b) => Math.round(rectHeight(b) / unit)),
      expected,
    );
    // Count labels over the bars, in order.
    const counts = texts(svg)
      .filter((t) => /^\d+$/.test(t.text) && t.y === 0)
      .map((t) => Number(t.text));
    assert.deepEqual(counts, expected);
  });

  test('bin edges are exact: $2 opens a bin, $1.999999999999 does not', () => {
    const b = logBins([2_000_000_000_000n, 1_999_999_999_999n]);
    const holding = b.bins.filter((x) => x.count > 0).map((x) => [x.loPico, x.hiPico]);
    assert.deepEqual(holding, [
      [1_600_000_000_000n, 2_000_000_000_000n],
      [2_000_000_000_000n, 2_500_000_000_000n],
    ]);
  });

  test('bigint pico input draws the same chart; $0 customers are counted and named', () => {
    const pico = TWENTY.map((_, i) => BigInt(i + 1) * 1_000_000_000_000n);
    assert.equal(
      costDistributionSvg({ costs: pico, caps: [] }),
      costDistributionSvg({ costs: TWENTY, caps: [] }),
    );
    const withZero = costDistributionSvg({ costs: ['0', '0', '3', '40'] });
    assert.match(
      withZero,
      /4 active customers · percentiles by nearest rank · 2 at \$0 not shown on the log scale/,
    );
    // Four values; P50 is the 2nd ($0), P90, P95 and P99 the 4th ($40). $0 is off the log axis: said, not drawn.
    assert.match(withZero, /2 at \$0 not shown on the log scale · P50 at \$0</);
    textOf(withZero, 'P90, P95, P99 $40.00');
    assert.equal(dataPaths(withZero, 1).length, 1, 'equal percentiles share one line');
    const allZero = costDistributionSvg({ costs: ['0', '0'], caps: [{ label: 'Cap', usd: '10' }] });
    assert.match(allZero, /P50, P90, P95, P99 at \$0/);
    textOf(allZero, 'Cap $10.00');
    for (const s of [withZero, allZero]) assert.doesNotMatch(s, /NaN|Infinity/);
  });

  test('given percentile markers are drawn as given', () => {
    const s = costDistributionSvg({
      costs: TWENTY,
      percentiles: [{ label: 'P75', usd: 15n * 1_000_000_000_000n }],
    });
    textOf(s, 'P75 $15.00');
    assert.equal(dataPaths(s, 1).length, 1);
  });

  test('bad input names the field', () => {
    assert.throws(
      () => costDistributionSvg({ costs: ['1', 'ten'] }),
      /costs\.1: expected a non-negative decimal/,
    );
    assert.throws(() => costDistributionSvg({ costs: [] }), /costs: expected at least one customer cost/);
    assert.throws(
      () => costDistributionSvg({ costs: ['1'], caps: [{ label: '', usd: '2' }] }),
      /caps\.0\.label: expected a non-empty label/,
    );
  });

  test('close markers stack their labels in rows instead of overlapping', () => {
    const placed = stackLabels(
      [
        { text: 'P95 $19.00', x: 500 },
        { text: 'P99 $20.00', x: 510 },
        { text: 'P50 $2.00', x: 100 },
        { text: 'P90 $18.00', x: 700 },
      ],
      11,
    );
    const row = (t: string) => placed.find((p) => p.text === t)?.row;
    assert.equal(row('P50 $2.00'), 0);
    assert.equal(row('P95 $19.00'), 0);
    assert.equal(row('P99 $20.00'), 1, '10 px apart: a second row');
    assert.equal(row('P90 $18.00'), 0, 'far enough: back on the first row');
  });
});

// ---- margin floor by lever ----------------------------------------------------------------------------

describe('margin floor by lever chart', () => {
  const data = {
    tiers: ['Starter', 'Pro', 'Scale'],
    targetPct: 70,
    baseline: { floors: ['62.10', '71.50', '-12.40'] },
    levers: [
      { name: 'Routing 70% small', floors: [78.2, 80.01, 35.5] },
      { name: 'Cache 40%', floors: [70, 76, 12] },
    ],
  };
  const svg = marginFloorLeversSvg(data);

  test('one bar per tier × series (baseline and each lever)', () => {
    const perSeries = [0, 1, 2].map((i) => dataPaths(svg, i).length);
    assert.deepEqual(perSeries, [3, 3, 3]);
    assert.equal(
      perSeries.reduce((a, b) => a + b, 0),
      data.tiers.length * (data.levers.length + 1),
    );
  });

  test('labels keep the given text; legend names levers and the target', () => {
    for (const t of ['62.10%', '-12.40%', '80.01%', '78.2%', 'Baseline', 'Routing 70% small', 'Cache 40%']) {
      textOf(svg, t);
    }
    textOf(svg, 'Target margin 70%');
    for (const t of data.tiers) textOf(svg, t);
    // Percent axis.
    assert.ok(texts(svg).some((t) => t.text === '0%'));
  });

  test('a negative floor draws below zero; a tier with no price has no bars and says so', () => {
    const s = marginFloorLeversSvg({
      tiers: ['Starter', 'Free'],
      baseline: { floors: [-20, null] },
      levers: [{ name: 'Discount', floors: [10, null] }],
    });
    assert.equal(dataPaths(s, 0).length + dataPaths(s, 1).length, 2);
    assert.match(s, />\(no price\)</);
    const zero = textOf(s, '0%');
    const minus = texts(s).find((t) => t.text.startsWith('-') && t.text.endsWith('%') && t.y > zero.y);
    assert.ok(minus, 'a negative tick below 0%');
  });

  test('a lever with the wrong number of floors is named', () => {
    assert.throws(
      () =>
        marginFloorLeversSvg({ ...data, levers: [data.levers[0]!, { name: 'Cache 40%', floors: [70, 76] }] }),
      /levers\.1\.floors: expected 3 floors \(one per tier\), got 2/,
    );
  });
});

// ---- weekly trend -------------------------------------------------------------------------------------

describe('weekly cost and margin chart', () => {
  const weeks = [
    { label: '2025-W10', costUsd: '1200.50', grossMarginPct: 64, costPctOfRevenue: 17 },
    { label: '2025-W11', costUsd: '1400', grossMarginPct: '66.25', costPctOfRevenue: 16 },
    { label: '2025-W12', costUsd: 1_650_000_000_000_000n, grossMarginPct: 70.1, costPctOfRevenue: 14 },
    { label: '2025-W13', costUsd: '900', grossMarginPct: null, costPctOfRevenue: null },
  ];
  const svg = weeklyTrendSvg({ weeks, targets: { grossMarginPct: 68, costPctOfRevenue: 15 } });

  test('a cost bar per week, a margin point per week with a margin, targets in the legend', () => {
    assert.equal(dataPaths(svg, 0).length, 4, 'cost bars');
    for (const w of weeks) textOf(svg, w.label);
    for (const t of ['64%', '66.25%', '70.1%']) textOf(svg, t);
    textOf(svg, 'Gross margin target 68%');
    textOf(svg, 'Cost % of revenue target 15%');
    textOf(svg, 'Cost % of revenue');
  });

  test('bar heights follow the costs; the cost axis is in dollars', () => {
    const heights = dataPaths(svg, 0).map(rectHeight);
    // 1200.50 : 1400 : 1650 : 900, compared with the hand ratios.
    const costs = [1200.5, 1400, 1650, 900];
    for (let i = 1; i < 4; i++) {
      assert.ok(Math.abs(heights[i]! / heights[0]! - costs[i]! / costs[0]!) < 0.01, `bar ${i}`);
    }
    assert.ok(
      texts(svg).some((t) => /^\$\d[\d,]*$/.test(t.text) && t.text !== '$0'),
      'dollar ticks',
    );
  });
});

// ---- the HTML page ------------------------------------------------------------------------------------

function samplePage(): string {
  return renderReportPage({
    title: 'Unit economics <script>alert(1)</script>',
    subtitle: 'Acme & "Sons"',
    generatedAt: '2025-04-07T09:30:00Z',
    sections: [
      {
        heading: 'Totals',
        blocks: [
          {
            kind: 'table',
            columns: ['Metric', 'Value'],
            rows: [
              ['Inference cost', '$12,345.678901234567'],
              ['Active customers', 2000],
            ],
          },
          {
            kind: 'note',
            text: 'Nearest rank: the smallest cost with at least p% of customers at or below it.',
          },
        ],
      },
      {
        heading: 'Per plan <tier>',
        blocks: [
          {
            kind: 'table',
            columns: ['Plan', 'Customers', 'P95', { label: 'Floor', align: 'left' }],
            rows: [
              ['<b>starter</b>', 1500, '6.250000000001', { text: '67.11%', tone: 'bad' }],
              ['pro', 450, '26', { text: '73.2%', tone: 'good' }],
            ],
          },
          { kind: 'chart', svg: costDistributionSvg({ costs: TWENTY }), caption: 'Cost <per> customer' },
          {
            kind: 'chart',
            svg: marginFloorLeversSvg({ tiers: ['<Pro>'], baseline: { floors: [50] }, levers: [] }),
          },
        ],
      },
      {
        heading: 'Weekly',
        blocks: [
          {
            kind: 'chart',
            svg: weeklyTrendSvg({ weeks: [{ label: 'W1', costUsd: '5', grossMarginPct: 50 }] }),
          },
        ],
      },
    ],
  });
}

describe('report page', () => {
  const html = samplePage();

  test('embeds every chart inline and references nothing outside the file', () => {
    assert.equal(html.match(/<svg\b/g)?.length, 3);
    assert.match(html, /^<!doctype html>/);
    for (const bad of [
      /src="http/i,
      /<script\b[^>]*src/i,
      /<link\b/i,
      /@import/i,
      /url\(\s*['"]?http/i,
      /<img\b/i,
    ]) {
      assert.doesNotMatch(html, bad);
    }
    // No script at all: the only "<script" text is the escaped title.
    assert.doesNotMatch(html, /<script/i);
  });

  test('escapes all text, keeps exact money text, right-aligns numbers', () => {
    assert.match(html, /<title>Unit economics &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
    assert.match(html, /Acme &amp; &quot;Sons&quot;/);
    assert.match(html, /<h2>Per plan &lt;tier&gt;<\/h2>/);
    assert.match(html, /<td>&lt;b&gt;starter&lt;\/b&gt;<\/td>/);
    assert.match(html, /<figcaption>Cost &lt;per&gt; customer<\/figcaption>/);
    assert.match(html, />&lt;Pro&gt;<\/text>/, 'chart text escaped by the renderer');
    assert.match(html, /<td class="num">\$12,345.678901234567<\/td>/);
    assert.match(html, /<td class="num">6.250000000001<\/td>/);
    assert.match(html, /<th scope="col" class="num">Customers<\/th>/);
    assert.match(html, /<th scope="col">Plan<\/th>/);
    assert.match(html, /<td class="bad">67.11%<\/td>/, 'explicit left alignment; tone kept');
    assert.match(html, /Generated <time datetime="2025-04-07T09:30:00.000Z">2025-04-07 09:30 UTC<\/time>/);
  });

  test('each chart gets its own id and CSS class prefix (ids and inline styles are page-wide)', () => {
    assert.doesNotMatch(html, /zr\d+-/);
    for (const i of [0, 1, 2]) assert.match(html, new RegExp(`\\.c${i}-cls-\\d+:hover`));
    // Each chart clips to its own clip paths, and no id is defined twice.
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, `duplicate ids: ${ids.join(' ')}`);
    for (const ref of html.matchAll(/url\(#([^)]+)\)/g))
      assert.ok(ids.includes(ref[1]), `url(#${ref[1]}) is defined`);
    assert.match(html, /clip-path="url\(#c0-c0\)"/);
  });

  test('an SVG that could run or fetch something is refused, naming the block', () => {
    const page = (svg: string) => ({
      title: 't',
      generatedAt: 0,
      sections: [{ heading: 'h', blocks: [{ kind: 'chart' as const, svg }] }],
    });
    assert.throws(
      () => renderReportPage(page('<svg><script>alert(1)</script></svg>')),
      /sections\.0\.blocks\.0: the SVG holds a <script> element/,
    );
    assert.throws(
      () => renderReportPage(page('<svg><image href="https://example.invalid/x.png"/></svg>')),
      /a reference to another file or site/,
    );
    assert.throws(() => renderReportPage(page('<div>not svg</div>')), /expected an SVG document/);
  });

  test('bad page data names the field', () => {
    assert.throws(
      () =>
        renderReportPage({
          title: 't',
          generatedAt: 0,
          sections: [{ heading: 'h', blocks: [{ kind: 'table', columns: ['a', 'b'], rows: [['1']] }] }],
        }),
      /sections\.0\.blocks\.0\.rows\.0: expected 2 cells/,
    );
  });
});

describe('writeSvgFiles', () => {
  test('writes each chart as its own .svg file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'margin-charts-'));
    try {
      const svg = weeklyTrendSvg({ weeks: [{ label: 'W1', costUsd: '5', grossMarginPct: 50 }] });
      const paths = await writeSvgFiles(join(dir, 'out'), [
        { name: 'weekly-trend', svg },
        { name: 'cost_distribution', svg: costDistributionSvg({ costs: TWENTY }) },
      ]);
      assert.deepEqual(paths, [
        join(dir, 'out', 'weekly-trend.svg'),
        join(dir, 'out', 'cost_distribution.svg'),
      ]);
      const text = readFileSync(paths[0]!, 'utf8');
      assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg /);
      assert.ok(text.includes('>W1</text>'));
      await assert.rejects(writeSvgFiles(dir, [{ name: '../x', svg }]), /charts\.0\.name: expected letters/);
      await assert.rejects(
        writeSvgFiles(dir, [
          { name: 'a', svg },
          { name: 'a', svg },
        ]),
        /charts\.1\.name: "a" is used twice/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- drawn by a browser -------------------------------------------------------------------------------

const CHROMIUM = process.env.MARGIN_CHROMIUM ?? '/usr/bin/chromium';

describe('report page in Chromium', () => {
  test('opens offline and draws every chart with a non-zero size', async (t) => {
    if (!existsSync(CHROMIUM)) {
      t.skip(
        `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set MARGIN_CHROMIUM`,
      );
      return;
    }
    const { chromium } = await import('playwright-core');
    const dir = mkdtempSync(join(tmpdir(), 'margin-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, samplePage());
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const requested: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requested.push(r.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      const boxes = await page.$$eval('figure > svg', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return { width: r.width, height: r.height, texts: e.querySelectorAll('text').length };
        }),
      );
      assert.equal(boxes.length, 3);
      for (const b of boxes) {
        assert.ok(b.width > 100 && b.height > 100, `chart drawn at ${b.width}×${b.height}`);
        assert.ok(b.texts > 3, 'chart text present');
      }
      // The percentile label is laid out (has a box), not merely present in the markup.
      const p50 = await page.$$eval('svg text', (els) => {
        const r = els.find((e) => e.textContent === 'P50 $10.00')?.getBoundingClientRect();
        return r ? r.width * r.height : 0;
      });
      assert.ok(p50 > 0, 'P50 label rendered');
      assert.deepEqual(requested, [], 'the page fetched nothing');
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chart number formats', () => {
  test('dollar labels and ticks', () => {
    assert.deepEqual([1234.5, 12.3, 0.5, 0.9999996, 0.0999996, 0.0123456, 0].map(usdLabel), [
      '$1,234.50',
      '$12.30',
      '$0.50',
      '$1.00',
      '$0.10',
      '$0.0123',
      '$0',
    ]);
    assert.deepEqual([0.001, 0.1, 1, 10, 1000, 0.30000000000000004].map(usdTick), [
      '$0.001',
      '$0.1',
      '$1',
      '$10',
      '$1,000',
      '$0.3',
    ]);
  });
});
