// `margin simulate --html FILE`: the margin floor of each tier under each lever as a chart, with the
// per-tier table and the sensitivity table, on one self-contained page.
import { marginFloorLeversSvg } from '../charts/index.js';
import { renderReportPage } from '../html/report-page.js';
import type { ReportBlock } from '../html/types.js';
import { renderSimulationText } from './render-text.js';
import type { SimulationReport } from './run.js';

export function simulationChart(r: SimulationReport): string | undefined {
  const tiers = r.result.tiers.map((t) => t.plan);
  const [baseline, ...rest] = r.sensitivity;
  if (!baseline || tiers.length === 0) return undefined;
  const floors = (row: (typeof r.sensitivity)[number]) =>
    tiers.map((t) => row.margin_floor_percent[t] ?? null);
  return marginFloorLeversSvg({
    title: 'Margin floor by tier under each lever (each alone)',
    tiers,
    baseline: { name: baseline.levers, floors: floors(baseline) },
    levers: rest.map((row) => ({ name: row.levers.slice(0, 80), floors: floors(row) })),
  });
}

export function renderSimulationHtml(r: SimulationReport): string {
  const chart = simulationChart(r);
  const tiers: ReportBlock = {
    kind: 'table',
    caption: 'Per tier (monthly loaded cost per active customer, nearest rank)',
    columns: [
      'tier',
      'price',
      'customers',
      'active',
      'P50',
      'P90',
      'P95',
      'P99',
      'margin floor',
      'gross margin',
      'revenue',
      'revenue change',
    ],
    rows: r.result.tiers.map((t) => [
      t.plan,
      `$${t.price_usd}`,
      t.customers,
      t.active_customers,
      t.cost.p50 ?? '—',
      t.cost.p90 ?? '—',
      t.cost.p95 ?? '—',
      t.cost.p99 ?? '—',
      t.margin_floor_percent === null ? '—' : `${t.margin_floor_percent}%`,
      t.gross_margin_percent === null ? '—' : `${t.gross_margin_percent}%`,
      `$${t.revenue_usd}`,
      t.revenue_change_usd,
    ]),
  };
  return renderReportPage({
    title: 'Margin: pricing simulation',
    subtitle:
      r.source === 'history' ? `replaying ${r.from} → ${r.to}` : 'synthetic population from the scenario',
    generatedAt: Date.now(),
    sections: [
      { heading: 'Margin floor by lever', blocks: chart ? [{ kind: 'chart', svg: chart }] : [] },
      { heading: 'Tiers', blocks: [tiers] },
      {
        heading: 'Details',
        blocks: renderSimulationText(r)
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((text) => ({ kind: 'text', text })),
      },
    ],
  });
}
