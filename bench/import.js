#!/usr/bin/env node
// `margin import` benchmark: writes a JSONL file of N native records (default 1,000,000) and times
// importing it into a fresh ledger, then times importing it again (every row already present).
//
//   node bench/import.js [--rows N] [--keep] [--generate FILE]
//
// --generate FILE only writes the file (to time imports by hand, e.g. under /usr/bin/time).
// Runs the built CLI (dist/, from `npm run build`) when present, else the sources through tsx.
// Rows: 10,000 customers, 6 features, four catalog models (one in ten with prompt-cache reads and writes),
// half of them stating cost_usd, in time order over 90 days (as request logs are written); ~250 bytes a row.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const rows = Number(arg('--rows', '1000000'));
const keep = process.argv.includes('--keep');

// A small deterministic generator (mulberry32): the same file on every run.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(rand() * list.length)];
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet-20241022', 'claude-3-5-haiku-20241022'];
const FEATURES = ['chat', 'summarize', 'search', 'classify', 'extract', 'agent'];
const START = Date.UTC(2025, 0, 1);

async function writeFile(file) {
  const out = createWriteStream(file);
  for (let i = 0; i < rows; i++) {
    const input = 200 + Math.floor(rand() * 8000);
    const cached = rand() < 0.1;
    const rec = {
      request_id: `bench-${i}`,
      workspace_id: `ws_${Math.floor(rand() * 10_000)}`,
      user_id: `u_${Math.floor(rand() * 50_000)}`,
      feature: pick(FEATURES),
      model: pick(MODELS),
      input_tokens: input,
      output_tokens: 20 + Math.floor(rand() * 1500),
      cache_hit: rand() < 0.02,
      latency_ms: 100 + Math.floor(rand() * 5000),
      timestamp: new Date(START + Math.floor(((i + rand()) / rows) * 90 * 86_400_000)).toISOString(),
    };
    if (cached) {
      rec.cache_read_tokens = Math.floor(input / 2);
      rec.cache_write_tokens = Math.floor(input / 4);
    }
    if (rand() < 0.5) rec.cost_usd = (rand() / 100).toFixed(8);
    if (!out.write(`${JSON.stringify(rec)}\n`)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

/** Runs one import in a child process: wall time, and the child's CPU time (`times` of a POSIX shell). */
function runImport(file, db) {
  const built = path.join(root, 'dist/cli/main.js');
  const argv = existsSync(built)
    ? [built, 'import', file, '--db', db]
    : ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'import', file, '--db', db];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/bin/sh', ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', process.execPath, ...argv], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`import failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  // `times` prints the shell's user/sys, then its children's: "0m12.340s 0m3.210s".
  const children = r.stderr.trim().split('\n').at(-1) ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (sum, m) => sum + Number(m[1]) * 60 + Number(m[2]),
    0,
  );
  return { seconds, cpu, summary: r.stdout.trim() };
}

const only = arg('--generate', undefined);
if (only) {
  await writeFile(only);
  console.log(`wrote ${rows} rows to ${only}`);
  process.exit(0);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'margin-import-bench-'));
try {
  const file = path.join(dir, 'requests.jsonl');
  const db = path.join(dir, 'ledger.db');
  const t0 = Date.now();
  await writeFile(file);
  const mb = statSync(file).size / 1048576;
  console.log(
    `generated ${rows.toLocaleString('en-US')} rows (${mb.toFixed(0)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  const first = runImport(file, db);
  console.log(
    `import into a fresh ledger: ${first.seconds.toFixed(1)} s wall, ${first.cpu.toFixed(1)} s CPU (user + sys), ` +
      `${Math.round(rows / first.seconds).toLocaleString('en-US')} rows/s wall; load average ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(`  ${first.summary}`);
  const again = runImport(file, db);
  console.log(`re-import (all present): ${again.seconds.toFixed(1)} s wall, ${again.cpu.toFixed(1)} s CPU`);
  console.log(`  ${again.summary}`);
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`);
  if (keep) console.log(`kept ${dir}`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
