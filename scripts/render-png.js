#!/usr/bin/env node
// Render a local HTML (or SVG) file to a PNG with a headless Chromium, to look at a report or chart.
//   node scripts/render-png.js FILE.html OUT.png [--width 1100]
// Needs playwright-core (a dev dependency) and a Chromium: /usr/bin/chromium (Debian: apt-get install -y
// chromium) or the path in MARGIN_CHROMIUM. The page is opened offline: any request it makes fails.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const widthAt = args.indexOf('--width');
const width = widthAt >= 0 ? Number(args.splice(widthAt, 2)[1]) : 1100;
const [input, output] = args;
if (!input || !output || !Number.isInteger(width) || width < 200) {
  console.error('usage: node scripts/render-png.js FILE.html OUT.png [--width 1100]');
  process.exit(2);
}
if (!existsSync(input)) {
  console.error(`render-png: no such file: ${input}`);
  process.exit(2);
}
const executablePath = process.env.MARGIN_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`render-png: no Chromium at ${executablePath} (apt-get install -y chromium, or set MARGIN_CHROMIUM)`);
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width, height: 800 } });
  const external = [];
  // Everything the page needs is inside the file: note (and refuse) anything it tries to fetch.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    external.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(resolve(input)).href, { waitUntil: 'load' });
  await page.screenshot({ path: output, fullPage: true });
  if (external.length) console.error(`render-png: the page tried to fetch:\n  ${external.join('\n  ')}`);
  console.log(output);
} finally {
  await browser.close();
}
