// Prepares a chart's SVG for inlining into the report page. The SVGs come from our own renderer, but
// the page promises to be self-contained and inert, so anything that could fetch or run is refused.

const FORBIDDEN: readonly [RegExp, string][] = [
  [/<script\b/i, 'a <script> element'],
  [/<foreignObject\b/i, 'a <foreignObject> element'],
  [/\son[a-z]+\s*=/i, 'an event-handler attribute'],
  [/(?:href|src)\s*=\s*["']\s*(?!#|data:)[^"'\s]/i, 'a reference to another file or site'],
  [/url\(\s*["']?\s*(?!#|data:)/i, 'a url() outside the document'],
  [/@import\b/i, 'a CSS @import'],
];

/** Check the SVG and give its ids and CSS classes a per-chart prefix: every chart names them `zr0-c0`,
 *  `zr0-cls-1`, and ids and styles of inlined SVGs are page-wide, so one chart would clip to another's
 *  clip path and restyle its shapes. */
export function inlineSvg(svg: string, chartIndex: number, where: string): string {
  const text = svg.trim().replace(/^<\?xml[^>]*\?>\s*/, '');
  if (!text.startsWith('<svg') || !text.endsWith('</svg>')) {
    throw new Error(`${where}: expected an SVG document (<svg …>…</svg>)`);
  }
  for (const [pattern, what] of FORBIDDEN) {
    if (pattern.test(text))
      throw new Error(`${where}: the SVG holds ${what}; the report must be self-contained`);
  }
  return text.replace(/\bzr\d+-/g, `c${chartIndex}-`);
}
