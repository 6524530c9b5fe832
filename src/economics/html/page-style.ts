// The report's stylesheet, inlined: system fonts, readable tables, charts that shrink with the window
// and print without being split across pages.
export const PAGE_CSS = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --band: #f6f8fa;
  --good: #1a7f37; --bad: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 Helvetica, Arial, "Liberation Sans", Arimo, sans-serif; }
main { max-width: 960px; margin: 0 auto; padding: 32px 24px 64px; }
header { border-bottom: 1px solid var(--line); margin-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.subtitle { margin: 0 0 4px; font-size: 16px; }
.generated { color: var(--muted); font-size: 13px; margin: 0 0 16px; }
nav { font-size: 13px; margin: 0 0 16px; }
nav ol { margin: 0; padding-left: 20px; columns: 2; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 20px 0 6px; }
p { margin: 8px 0; }
.note { color: var(--muted); font-size: 13px; border-left: 3px solid var(--line); padding: 2px 0 2px 10px; }
.table-wrap { overflow-x: auto; margin: 12px 0; }
table { border-collapse: collapse; font-size: 14px; min-width: 50%; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; background: var(--band); font-weight: 600; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.good { color: var(--good); font-weight: 600; }
td.bad { color: var(--bad); font-weight: 600; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
figure { margin: 16px 0; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { main { padding: 0; } nav { display: none; } h2 { break-after: avoid; } }
`;
