// Margin floor of each tier (1 − P95 customer's cost ÷ price) with no lever moved and under each
// lever alone: grouped bars, tiers along the axis, one bar per lever, the target margin as a dashed line.
import { niceAxis, pctLabel, percentToNumber } from './format.js';
import { legendData, targetSeries } from './target-series.js';
import {
  baseOption,
  type ChartSize,
  DEFAULT_SIZE,
  GRID_LINE,
  INK,
  MUTED,
  PALETTE,
  renderSvg,
  TARGET_COLOR,
} from './theme.js';
import { type MarginFloorLeversData, marginFloorLeversSchema, type Percent, parseInput } from './types.js';

const BASELINE_COLOR = '#8c959f';
/** Above this many bars, value labels would crowd each other: the axis alone tells the values. */
const MAX_LABELLED_BARS = 36;

export function marginFloorLeversSvg(data: MarginFloorLeversData, size: ChartSize = DEFAULT_SIZE): string {
  const input = parseInput('margin floor by lever', marginFloorLeversSchema, data);
  const groups = [input.baseline, ...input.levers];
  const bars = groups.reduce((n, s) => n + s.floors.filter((f) => f !== null).length, 0);
  const labelled = bars <= MAX_LABELLED_BARS;
  const rotate = groups.length > 3;
  // A tier with no price has no floor under any lever: say so under its name rather than leave a gap.
  const tierNames = input.tiers.map((t, i) =>
    groups.every((s) => s.floors[i] === null) ? `${t}\n(no price)` : t,
  );
  const values = groups.flatMap((s) => s.floors.filter((f): f is Percent => f !== null).map(percentToNumber));
  const target = input.targetPct === undefined ? undefined : percentToNumber(input.targetPct);
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values, target ?? 0);
  // Room past the longest bars for their turned labels; no margin is above 100%.
  const room = labelled && rotate ? (high - low) * 0.25 : 0;
  const yRange = niceAxis(low < 0 ? low - room : 0, Math.min(100, high + room));

  const chartSeries = [
    ...groups.map((s, i) => ({
      name: s.name,
      type: 'bar',
      color: i === 0 ? BASELINE_COLOR : PALETTE[(i - 1) % PALETTE.length],
      barGap: '12%',
      barMaxWidth: 48,
      data: s.floors.map((f) => (f === null ? null : barItem(f, rotate))),
      label: {
        show: labelled,
        formatter: (p: { data?: { text?: string } }) => p.data?.text ?? '',
        fontSize: 11,
        color: INK,
        // Keeps a label readable where the target line crosses it.
        backgroundColor: 'rgba(255,255,255,0.85)',
        padding: [1, 2],
      },
    })),
    ...(target === undefined ? [] : [targetSeries('Target margin', target, TARGET_COLOR)]),
  ];

  const option = {
    ...baseOption(input.title ?? 'Margin floor by tier under each lever'),
    legend: { data: legendData(chartSeries), bottom: 8, itemWidth: 18, itemHeight: 12 },
    grid: { left: 64, right: 24, top: 64, bottom: 64 },
    xAxis: {
      type: 'category',
      data: tierNames,
      axisLabel: { color: '#1f2328', fontSize: 12, interval: 0 },
      axisTick: { alignWithLabel: false },
    },
    yAxis: {
      type: 'value',
      name: 'Margin floor',
      ...yRange,
      axisLabel: { formatter: '{value}%', color: MUTED },
      splitLine: { lineStyle: { color: GRID_LINE } },
    },
    series: chartSeries,
  };
  return renderSvg(option, size);
}

/** Labels sit past the end of the bar (above a gain, below a loss), upright or turned when bars are narrow. */
function barItem(f: Percent, rotate: boolean) {
  const value = percentToNumber(f);
  const up = value >= 0;
  const label = rotate
    ? { position: up ? 'top' : 'bottom', rotate: 90, align: up ? 'left' : 'right', verticalAlign: 'middle' }
    : { position: up ? 'top' : 'bottom' };
  return { value, text: textOf(f), label };
}

function textOf(p: Percent): string {
  return typeof p === 'string' ? `${p}%` : pctLabel(p);
}
