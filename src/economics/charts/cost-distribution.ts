// Cost per active customer, as a histogram over log-spaced bins (a few heavy customers and many light
// ones only fit on a log axis), with the P50/P90/P95/P99 customers and each tier's cap marked.
import type { CustomSeriesRenderItemAPI, CustomSeriesRenderItemReturn } from 'echarts';
import { percentileOfSorted, sortAscending } from '../percentile.js';
import { picoToNumber, toPico, usdLabel, usdTick } from './format.js';
import { logBins } from './log-bins.js';
import { stackLabels } from './marker-labels.js';
import { DASHED_ICON, LINE_ICON } from './target-series.js';
import {
  baseOption,
  CAP_COLOR,
  type ChartSize,
  DEFAULT_SIZE,
  FONT_FAMILY,
  GRID_LINE,
  MUTED,
  PALETTE,
  PERCENTILE_COLOR,
  renderSvg,
} from './theme.js';
import { type CostDistributionData, costDistributionSchema, parseInput } from './types.js';

const GRID = { left: 64, right: 36, bottom: 86 };
const TITLE_HEIGHT = 52;
const ROW_HEIGHT = 17;
const MARKER_FONT = 11;
const DEFAULT_PERCENTILES = [50, 90, 95, 99];

interface Marker {
  text: string;
  pico: bigint;
  kind: 'percentile' | 'cap';
}

export function costDistributionSvg(data: CostDistributionData, size: ChartSize = DEFAULT_SIZE): string {
  const input = parseInput('cost distribution', costDistributionSchema, data);
  const costs = sortAscending(input.costs.map(toPico));
  const percentiles =
    input.percentiles?.map((m) => ({ label: m.label, pico: toPico(m.usd) })) ??
    DEFAULT_PERCENTILES.map((p) => ({ label: `P${p}`, pico: percentileOfSorted(costs, p)! }));
  const allMarkers: Marker[] = [
    // Percentiles at one value (P90 = P95 = P99 in a small tier) share one line: "P90, P95, P99 $40.00".
    ...mergeEqual(percentiles).map((m) => ({
      text: `${m.label} ${usdLabel(picoToNumber(m.pico))}`,
      pico: m.pico,
      kind: 'percentile' as const,
    })),
    ...input.caps.map((c) => {
      const pico = toPico(c.usd);
      return { text: `${c.label} ${usdLabel(picoToNumber(pico))}`, pico, kind: 'cap' as const };
    }),
  ];

  // $0 has no place on a log axis: such markers are named in the subtitle instead of drawn.
  const markers = allMarkers.filter((m) => m.pico > 0n);
  const atZero = allMarkers.filter((m) => m.pico === 0n).map((m) => m.text.replace(/ \$0$/, ''));
  const positive = costs.filter((v) => v > 0n);
  const zeros = costs.length - positive.length;
  const binning = logBins(
    positive,
    markers.map((m) => m.pico),
  );
  const filled = binning.bins.filter((b) => b.count > 0);
  const maxCount = Math.max(1, ...filled.map((b) => b.count));
  const showCounts = filled.length <= 40;

  const subtitle = [
    `${costs.length} active customer${costs.length === 1 ? '' : 's'}`,
    'percentiles by nearest rank',
    ...(zeros > 0 ? [`${zeros} at $0 not shown on the log scale`] : []),
    ...(atZero.length > 0 ? [`${atZero.join(', ')} at $0`] : []),
  ].join(' · ');

  const option = {
    ...baseOption(input.title ?? 'Monthly cost per active customer'),
    grid: { ...GRID, top: TITLE_HEIGHT + 24, outerBoundsMode: 'none' },
    legend: {
      bottom: 8,
      itemWidth: 22,
      data: [
        { name: 'Customers' },
        { name: 'Percentiles', icon: LINE_ICON },
        { name: 'Tier caps', icon: DASHED_ICON },
      ],
    },
    xAxis: {
      type: 'log',
      logBase: 10,
      min: 10 ** binning.minExponent,
      max: 10 ** binning.maxExponent,
      name: 'Monthly cost per customer (log scale)',
      nameLocation: 'middle',
      nameGap: 28,
      axisLabel: { formatter: usdTick, color: MUTED },
      splitLine: { show: true, lineStyle: { color: GRID_LINE } },
      minorTick: { show: true, splitNumber: 9 },
    },
    yAxis: {
      type: 'value',
      name: 'Customers',
      minInterval: 1,
      max: niceCeiling(maxCount),
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: GRID_LINE } },
    },
    series: [
      {
        name: 'Customers',
        type: 'custom',
        color: PALETTE[0],
        encode: { x: [0, 1], y: 2 },
        data: filled.map((b) => [picoToNumber(b.loPico), picoToNumber(b.hiPico), b.count]),
        renderItem: (_params: unknown, api: CustomSeriesRenderItemAPI): CustomSeriesRenderItemReturn => {
          const count = Number(api.value(2));
          const [x0 = 0, y0 = 0] = api.coord([api.value(0), 0]);
          const [x1 = 0, yTop = 0] = api.coord([api.value(1), count]);
          // A bin holding one customer next to one holding thousands still shows: at least 2 px.
          const height = Math.max(y0 - yTop, 2);
          return {
            type: 'group',
            children: [
              {
                type: 'rect',
                shape: { x: x0 + 0.5, y: y0 - height, width: Math.max(x1 - x0 - 1, 1), height },
                style: { fill: PALETTE[0] },
              },
              ...(showCounts
                ? [
                    {
                      type: 'text' as const,
                      style: {
                        text: String(count),
                        x: (x0 + x1) / 2,
                        y: y0 - height - 2,
                        align: 'center' as const,
                        verticalAlign: 'bottom' as const,
                        fontSize: 10,
                        fontFamily: FONT_FAMILY,
                        fill: MUTED,
                      },
                    },
                  ]
                : []),
            ],
          };
        },
      },
      markerSeries('Percentiles', PERCENTILE_COLOR, 'solid'),
      markerSeries('Tier caps', CAP_COLOR, 'dashed'),
    ],
    title: {
      ...(baseOption(input.title ?? 'Monthly cost per active customer').title as object),
      subtext: subtitle,
      subtextStyle: { color: MUTED, fontSize: 12 },
    },
  };

  return renderSvg(option, size, (chart) => {
    // Marker lines need pixel positions to stack their labels; the plot's top moves down by the rows used.
    const placed = stackLabels(
      markers.map((m) => ({ ...m, x: chart.convertToPixel({ xAxisIndex: 0 }, picoToNumber(m.pico)) })),
      MARKER_FONT,
    );
    const rows = placed.reduce((n, p) => Math.max(n, p.row + 1), 0);
    const top = TITLE_HEIGHT + 10 + rows * ROW_HEIGHT;
    const bottom = size.height - GRID.bottom;
    const lines = (kind: Marker['kind']) =>
      placed
        .filter((p) => p.kind === kind)
        .map((p) => [
          { x: p.x, y: bottom, name: p.text },
          { x: p.x, y: top - 2 - p.row * ROW_HEIGHT },
        ]);
    return {
      grid: { top },
      series: [{}, markLineOf(lines('percentile'), 'solid'), markLineOf(lines('cap'), 'dashed')],
    };
  });
}

function mergeEqual(markers: readonly { label: string; pico: bigint }[]): { label: string; pico: bigint }[] {
  const byValue = new Map<bigint, string[]>();
  for (const m of markers) byValue.set(m.pico, [...(byValue.get(m.pico) ?? []), m.label]);
  return [...byValue].map(([pico, labels]) => ({ label: labels.join(', '), pico }));
}

function markerSeries(name: string, color: string, type: 'solid' | 'dashed') {
  return {
    name,
    type: 'line',
    data: [],
    color,
    symbol: 'none',
    lineStyle: { color, type, width: 1.5 },
    markLine: { data: [] },
  };
}

function markLineOf(data: unknown[], type: 'solid' | 'dashed') {
  return {
    markLine: {
      silent: true,
      symbol: 'none',
      animation: false,
      lineStyle: { type, width: 1.5 },
      data,
      label: { position: 'end', formatter: '{b}', fontSize: MARKER_FONT, color: 'inherit' },
    },
  };
}

/** 1, 2, 5 × 10^k at or above n: a y-axis top the labels of bars fit under. */
function niceCeiling(n: number): number {
  const target = n * 1.12;
  const p = 10 ** Math.floor(Math.log10(target));
  for (const m of [1, 2, 5, 10]) if (m * p >= target) return Math.max(m * p, 1);
  return 10 * p;
}
