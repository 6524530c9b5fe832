// One look for every chart: system fonts only (the HTML report must open offline, so nothing is
// fetched), a colour-blind-safe palette, and the render step that always disposes the chart.
import * as echarts from 'echarts';

/** Fonts every OS has, no web fonts. Arial's metrics (Helvetica, Liberation Sans and Arimo share them)
 *  because the server lays out text with Arial-like widths: other faces overflow legends and labels.
 *  Unquoted so the list is safe inside an SVG style attribute. */
export const FONT_FAMILY = 'Helvetica, Arial, Liberation Sans, Arimo, sans-serif';

/** Okabe–Ito colours: distinguishable with the common colour-vision deficiencies. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
];

export const INK = '#1f2328';
export const MUTED = '#59636e';
export const GRID_LINE = '#e3e6ea';
/** Percentile markers and tier caps must be told apart at a glance. */
export const PERCENTILE_COLOR = '#6a3d9a';
export const CAP_COLOR = '#D55E00';
export const TARGET_COLOR = '#2e7d32';

export interface ChartSize {
  width: number;
  height: number;
}
export const DEFAULT_SIZE: ChartSize = { width: 880, height: 420 };

/** Options every chart shares: no animation (a server render has no time), fonts, palette, title. */
export function baseOption(title: string | undefined): Record<string, unknown> {
  return {
    animation: false,
    color: PALETTE,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: FONT_FAMILY, color: INK, fontSize: 12 },
    title: title
      ? {
          text: title,
          left: 16,
          top: 10,
          textStyle: { fontFamily: FONT_FAMILY, fontSize: 15, fontWeight: 600 },
        }
      : undefined,
  };
}

/** Lays out the chart once, then may add what needs pixel positions (e.g. staggered marker labels). */
export type Refine = (chart: echarts.ECharts) => echarts.EChartsCoreOption | undefined;

/** Render an option to an SVG string on the server. The chart is disposed even when rendering throws:
 *  an undisposed chart keeps timers that hold the process open. */
export function renderSvg(
  option: echarts.EChartsCoreOption,
  size: ChartSize = DEFAULT_SIZE,
  refine?: Refine,
): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: size.width,
    height: size.height,
  });
  try {
    chart.setOption(option);
    const more = refine?.(chart);
    if (more) chart.setOption(more);
    return stableClassNames(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/** zrender prefixes ids and classes with its instance number (`zr7-c0`) and numbers classes with a
 *  process-wide counter (`zr7-cls-42`): make both start from 0 so the same data gives the same SVG text
 *  in any process. (The report page gives each inlined chart its own prefix.) */
function stableClassNames(svg: string): string {
  const classes = new Map<string, string>();
  return svg
    .replace(/\bzr\d+-cls-\d+\b/g, (name) => {
      let stable = classes.get(name);
      if (stable === undefined) {
        stable = `zr0-cls-${classes.size}`;
        classes.set(name, stable);
      }
      return stable;
    })
    .replace(/\bzr\d+-/g, 'zr0-');
}
