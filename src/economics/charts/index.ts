// The economics charts: each a pure function from plain data to an SVG string.
export { costDistributionSvg } from './cost-distribution.js';
export { marginFloorLeversSvg } from './margin-floor-levers.js';
export type { ChartSize } from './theme.js';
export type {
  CostDistributionData,
  MarginFloorLeversData,
  Money,
  Percent,
  UsdMarker,
  WeeklyTrendData,
} from './types.js';
export { weeklyTrendSvg } from './weekly-trend.js';
export { type NamedChart, writeSvgFiles } from './write-svg-files.js';
