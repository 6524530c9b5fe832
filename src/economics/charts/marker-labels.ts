// Vertical marker lines (percentiles, caps) whose labels sit above the plot. Values close together on a
// log axis (P95 and P99 often are) would print on top of each other, so labels are stacked in rows:
// each label takes the lowest row where it does not touch its neighbour.

export interface MarkerLabel {
  text: string;
  /** Pixel x of the line. */
  x: number;
}

/** 0 = the row nearest the plot. */
export type Placed<T> = T & { row: number };

/** Rough width of a label in pixels (zrender measures similarly on the server: no canvas there). */
export function labelWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * 0.6) + 6;
}

/** Give each marker a row so that no two labels in a row overlap (greedy, left to right). */
export function stackLabels<T extends MarkerLabel>(
  markers: readonly T[],
  fontSize: number,
  gap = 6,
): Placed<T>[] {
  const rightEdges: number[] = [];
  const placed: Placed<T>[] = [];
  for (const m of [...markers].sort((a, b) => a.x - b.x)) {
    const half = labelWidth(m.text, fontSize) / 2;
    let row = rightEdges.findIndex((right) => right + gap <= m.x - half);
    if (row < 0) {
      row = rightEdges.length;
      rightEdges.push(0);
    }
    rightEdges[row] = m.x + half;
    placed.push({ ...m, row });
  }
  return placed;
}
