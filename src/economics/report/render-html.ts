// `--html FILE`: one self-contained page (tables and inline SVG charts) plus each chart as an .svg file
// in `<FILE without .html>-charts/`.
import { writeFile } from 'node:fs/promises';
import { costDistributionSvg, type NamedChart, weeklyTrendSvg, writeSvgFiles } from '../charts/index.js';
import { renderReportPage } from '../html/report-page.js';
import type { ReportBlock } from '../html/types.js';
import type { ReportResult } from './build.js';
import type { Table } from './tables.js';
import type { EconomicsReport } from './types.js';

export interface ChartExtras {
  latestCosts: ReportResult['latestCosts'];
  /** Each tier's monthly cap in USD, where the plan's budget is in USD. */
  caps: { label: string; usd: string }[];
}

export function reportCharts(r: EconomicsReport, extras: ChartExtras): NamedChart[] {
  const charts: NamedChart[] = [];
  const costs = extras.latestCosts?.costs.filter((c) => c > 0n) ?? [];
  if (costs.length > 0)
    charts.push({
      name: 'cost-distribution',
      svg: costDistributionSvg({
        title: `Monthly AI cost per active customer, ${extras.latestCosts?.label} (log scale)`,
        costs,
        caps: extras.caps,
      }),
    });
  if (r.weekly_trend.length > 0)
    charts.push({
      name: 'weekly-trend',
      svg: weeklyTrendSvg({
        title: 'Weekly inference cost and gross margin',
        weeks: r.weekly_trend.map((w) => ({
          label: w.week,
          costUsd: w.cost_usd,
          grossMarginPct: w.gross_margin_pct,
        })),
        targets: {},
      }),
    });
  return charts;
}

export function renderHtml(
  r: EconomicsReport,
  tables: readonly Table[],
  charts: readonly NamedChart[],
): string {
  const blocks = (t: Table): ReportBlock => ({
    kind: 'table',
    caption: t.title,
    columns: t.headers,
    rows: t.rows,
  });
  const chartBlocks: ReportBlock[] = charts.map((c) => ({ kind: 'chart', svg: c.svg }));
  return renderReportPage({
    title: 'Margin: unit economics',
    subtitle: `${r.from.slice(0, 10)} → ${r.to.slice(0, 10)}, per ${r.period} (UTC)`,
    generatedAt: r.generated_at,
    sections: [
      {
        heading: 'Charts',
        blocks: [...chartBlocks, { kind: 'note', text: `Percentiles: ${r.percentile_method}.` }],
      },
      { heading: 'Tables', blocks: tables.filter((t) => t.rows.length > 0).map(blocks) },
    ],
    footer: `Loaded cost = AI cost + $${r.overhead_per_customer_usd} overhead per customer. Money is exact to the pico-dollar.`,
  });
}

export async function writeHtmlReport(
  file: string,
  r: EconomicsReport,
  tables: readonly Table[],
  extras: ChartExtras,
): Promise<string[]> {
  const charts = reportCharts(r, extras);
  await writeFile(file, renderHtml(r, tables, charts));
  const svgs = await writeSvgFiles(`${file.replace(/\.html?$/i, '')}-charts`, charts);
  return [file, ...svgs];
}
