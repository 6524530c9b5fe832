// A target (e.g. gross margin > 68%) as a dashed horizontal line named in the legend, not on the plot:
// a label on the line would sit on top of the data points near it.
import { pctLabel } from './format.js';

/** Legend icon for a dashed line: three short dashes (filled rectangles; legend icons are filled). */
const TARGET_ID = 'target:';
export const DASHED_ICON = 'path://M0 4h6v2H0zM9 4h6v2H9zM18 4h6v2h-6z';

export function targetSeries(name: string, valuePct: number, color: string, yAxisIndex = 0) {
  return {
    id: `${TARGET_ID}${name}`,
    name: `${name} ${pctLabel(valuePct)}`,
    type: 'line',
    yAxisIndex,
    data: [],
    color,
    symbol: 'none',
    lineStyle: { color, type: 'dashed', width: 1.5 },
    // Above the bars (z 2), which would hide it, but below the default marker z (5) and so under the
    // data points' symbols.
    z: 3,
    markLine: {
      z: 3,
      silent: true,
      symbol: 'none',
      lineStyle: { color, type: 'dashed', width: 1.5 },
      label: { show: false },
      data: [{ yAxis: valuePct }],
    },
  };
}

/** Legend entries in series order; targets get the dashed icon (a line series' own icon is solid). */
export function legendData(series: readonly { name: string; id?: string }[]) {
  return series.map((s) =>
    s.id?.startsWith(TARGET_ID) ? { name: s.name, icon: DASHED_ICON } : { name: s.name },
  );
}

/** Legend icon for a solid rule. */
export const LINE_ICON = 'path://M0 4h24v2H0z';
