// Weekly cost and gross margin: cost as bars on a dollar axis, gross margin (and cost as % of revenue,
// when given) as lines on a percent axis, each target as a dashed line in its line's colour.
import { niceAxis, pctLabel, percentToNumber, picoToNumber, toPico, usdTick } from './format.js';
import { legendData, targetSeries } from './target-series.js';
import {
  baseOption,
  type ChartSize,
  DEFAULT_SIZE,
  GRID_LINE,
  MUTED,
  PALETTE,
  renderSvg,
  TARGET_COLOR,
} from './theme.js';
import { type Percent, parseInput, type WeeklyTrendData, weeklyTrendSchema } from './types.js';

// Light bars, so the lines and their labels read on top of them.
const COST_COLOR = '#a9cce8';
const MARGIN_COLOR = TARGET_COLOR;
const COST_SHARE_COLOR = PALETTE[5]!;
/** Above this many weeks, point labels and upright week names no longer fit. */
const MAX_LABELLED_WEEKS = 16;
const LABEL_BOX = { backgroundColor: 'rgba(255,255,255,0.85)', padding: [1, 3], borderRadius: 2 };

export function weeklyTrendSvg(data: WeeklyTrendData, size: ChartSize = DEFAULT_SIZE): string {
  const input = parseInput('weekly trend', weeklyTrendSchema, data);
  const weeks = input.weeks;
  const crowded = weeks.length > MAX_LABELLED_WEEKS;
  const margin = weeks.map((w) => numberOrNull(w.grossMarginPct));
  const hasShare = weeks.some((w) => w.costPctOfRevenue !== undefined && w.costPctOfRevenue !== null);
  const share = weeks.map((w) => numberOrNull(w.costPctOfRevenue ?? null));
  const targets = input.targets;
  const marginTarget =
    targets.grossMarginPct === undefined ? undefined : percentToNumber(targets.grossMarginPct);
  const shareTarget =
    targets.costPctOfRevenue === undefined ? undefined : percentToNumber(targets.costPctOfRevenue);

  // The percent axis spans every line and target (markLines alone do not widen an axis), from 0 or below.
  const pcts = [
    ...margin,
    ...(hasShare ? share : []),
    marginTarget,
    hasShare ? shareTarget : undefined,
  ].filter((v): v is number => v !== undefined && v !== null);
  const pctAxis = niceAxis(Math.min(0, ...pcts), Math.max(10, ...pcts));

  const series = [
    {
      name: 'Inference cost',
      type: 'bar',
      color: COST_COLOR,
      barMaxWidth: 56,
      data: weeks.map((w) => picoToNumber(toPico(w.costUsd))),
    },
    {
      name: 'Gross margin',
      type: 'line',
      yAxisIndex: 1,
      color: MARGIN_COLOR,
      lineStyle: { width: 2.5 },
      symbolSize: 7,
      data: margin,
      label: { show: !crowded, position: 'top', fontSize: 11, formatter: pointLabel, ...LABEL_BOX },
    },
    ...(hasShare
      ? [
          {
            name: 'Cost % of revenue',
            type: 'line',
            yAxisIndex: 1,
            color: COST_SHARE_COLOR,
            lineStyle: { width: 2 },
            symbol: 'diamond',
            symbolSize: 7,
            data: share,
          },
        ]
      : []),
    ...(marginTarget === undefined
      ? []
      : [targetSeries('Gross margin target', marginTarget, MARGIN_COLOR, 1)]),
    ...(hasShare && shareTarget !== undefined
      ? [targetSeries('Cost % of revenue target', shareTarget, COST_SHARE_COLOR, 1)]
      : []),
  ];

  const option = {
    ...baseOption(input.title ?? 'Weekly inference cost and gross margin'),
    legend: { data: legendData(series), bottom: 8, itemWidth: 22 },
    grid: { left: 76, right: 64, top: 64, bottom: crowded ? 92 : 64 },
    xAxis: {
      type: 'category',
      data: weeks.map((w) => w.label),
      axisLabel: { color: MUTED, interval: crowded ? 'auto' : 0, rotate: crowded ? 45 : 0 },
    },
    yAxis: [
      {
        type: 'value',
        name: 'Cost',
        min: 0,
        axisLabel: { formatter: usdTick, color: MUTED },
        splitLine: { lineStyle: { color: GRID_LINE } },
      },
      {
        type: 'value',
        name: 'Percent',
        ...pctAxis,
        axisLabel: { formatter: '{value}%', color: MUTED },
        splitLine: { show: false },
      },
    ],
    series,
  };
  return renderSvg(option, size);
}

function numberOrNull(p: Percent | null): number | null {
  return p === null ? null : percentToNumber(p);
}

function pointLabel(p: { value?: unknown }): string {
  return typeof p.value === 'number' ? pctLabel(p.value) : '';
}
