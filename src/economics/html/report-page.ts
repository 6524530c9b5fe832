// One self-contained HTML file a person can open offline: inline CSS, inline SVG charts, no scripts,
// no fonts or images to fetch. Every piece of text is escaped; charts are checked before inlining.
import { parseInput } from '../charts/types.js';
import { escapeHtml } from './escape.js';
import { inlineSvg } from './inline-svg.js';
import { PAGE_CSS } from './page-style.js';
import { type Cell, type ReportPage, reportPageSchema } from './types.js';

type Page = ReturnType<typeof parsePage>;
type Block = Page['sections'][number]['blocks'][number];
type TableBlock = Extract<Block, { kind: 'table' }>;

/** Numbers as the report prints them: "$1,234.56", "12.5%", "-3", "1,024", "0.000000123". */
const NUMERIC_TEXT = /^[-+−]?\$?\d[\d,]*(\.\d+)?%?$/;

function parsePage(page: ReportPage) {
  return parseInput('report page', reportPageSchema, page);
}

export function renderReportPage(page: ReportPage): string {
  const p = parsePage(page);
  const generated = utcText(p.generatedAt);
  let charts = 0;
  const sections = p.sections.map((s, si) => {
    const blocks = s.blocks.map((b, bi) => {
      const where = `report page: sections.${si}.blocks.${bi}`;
      return b.kind === 'chart' ? chartHtml(b.svg, b.caption, charts++, where) : blockHtml(b);
    });
    return `<section id="s${si + 1}">\n<h2>${escapeHtml(s.heading)}</h2>\n${blocks.join('\n')}\n</section>`;
  });
  const nav =
    p.sections.length > 2
      ? `<nav><ol>${p.sections.map((s, i) => `<li><a href="#s${i + 1}">${escapeHtml(s.heading)}</a></li>`).join('')}</ol></nav>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Margin">
<title>${escapeHtml(p.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(p.title)}</h1>
${p.subtitle ? `<p class="subtitle">${escapeHtml(p.subtitle)}</p>` : ''}
<p class="generated">Generated <time datetime="${escapeHtml(generated.iso)}">${escapeHtml(generated.text)}</time></p>
</header>
${nav}
${sections.join('\n')}
${p.footer ? `<footer>${escapeHtml(p.footer)}</footer>` : ''}
</main>
</body>
</html>
`;
}

function blockHtml(b: Exclude<Block, { kind: 'chart' }>): string {
  switch (b.kind) {
    case 'text':
      return `<p>${escapeHtml(b.text)}</p>`;
    case 'note':
      return `<p class="note">${escapeHtml(b.text)}</p>`;
    case 'heading':
      return `<h3>${escapeHtml(b.text)}</h3>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
    case 'table':
      return tableHtml(b);
  }
}

function chartHtml(svg: string, caption: string | undefined, index: number, where: string): string {
  const cap = caption ? `\n<figcaption>${escapeHtml(caption)}</figcaption>` : '';
  return `<figure>\n${inlineSvg(svg, index, where)}${cap}\n</figure>`;
}

function tableHtml(t: TableBlock): string {
  const columns = t.columns.map((c, i) => {
    const label = typeof c === 'string' ? c : c.label;
    const align =
      (typeof c === 'string' ? undefined : c.align) ?? (isNumericColumn(t.rows, i) ? 'right' : 'left');
    return { label, right: align === 'right' };
  });
  const head = columns.map(
    (c) => `<th scope="col"${c.right ? ' class="num"' : ''}>${escapeHtml(c.label)}</th>`,
  );
  const body = t.rows.map((row) => {
    const cells = row.map((cell, i) => {
      const classes = [columns[i]?.right ? 'num' : '', toneOf(cell)].filter(Boolean).join(' ');
      return `<td${classes ? ` class="${classes}"` : ''}>${escapeHtml(cellText(cell))}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  const caption = t.caption ? `<caption>${escapeHtml(t.caption)}</caption>` : '';
  return `<div class="table-wrap"><table>${caption}<thead><tr>${head.join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>`;
}

function cellText(c: Cell): string {
  if (c === null) return '';
  if (typeof c === 'object') return c.text;
  return String(c);
}

function toneOf(c: Cell): string {
  return c !== null && typeof c === 'object' ? (c.tone ?? '') : '';
}

/** Right-align a column when all its filled cells are numbers or numeric text (and at least one is). */
function isNumericColumn(rows: readonly Cell[][], col: number): boolean {
  let seen = false;
  for (const row of rows) {
    const c = row[col] ?? null;
    if (c === null) continue;
    if (typeof c === 'number' || typeof c === 'bigint') {
      seen = true;
      continue;
    }
    const text = cellText(c).trim();
    if (text === '' || text === '—' || text === '-') continue;
    if (!NUMERIC_TEXT.test(text)) return false;
    seen = true;
  }
  return seen;
}

function utcText(at: Date | number | string): { iso: string; text: string } {
  const d = at instanceof Date ? at : new Date(at);
  const iso = d.toISOString();
  return { iso, text: `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` };
}
