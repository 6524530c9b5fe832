// Each chart also as its own .svg file (for slides, docs, a wiki), next to the HTML report.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface NamedChart {
  /** File name without extension: letters, digits, '-', '_' (e.g. "cost-distribution"). */
  name: string;
  svg: string;
}

/** Write `<dir>/<name>.svg` for each chart (creating dir); returns the paths written, in order. */
export async function writeSvgFiles(dir: string, charts: readonly NamedChart[]): Promise<string[]> {
  const seen = new Set<string>();
  charts.forEach((c, i) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/.test(c.name)) {
      throw new Error(
        `charts.${i}.name: expected letters, digits, '-' or '_' (got ${JSON.stringify(c.name)})`,
      );
    }
    if (seen.has(c.name)) throw new Error(`charts.${i}.name: "${c.name}" is used twice`);
    seen.add(c.name);
    if (!c.svg.trimStart().startsWith('<svg')) throw new Error(`charts.${i}.svg: expected an SVG document`);
  });
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const c of charts) {
    const path = join(dir, `${c.name}.svg`);
    await writeFile(path, `<?xml version="1.0" encoding="UTF-8"?>\n${c.svg.trim()}\n`);
    paths.push(path);
  }
  return paths;
}
