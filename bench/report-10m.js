#!/usr/bin/env node
// Report benchmark (`npm run bench:report` = build, then this file): how long a report takes over a big
// ledger. Generates (or reuses) a ledger of 10M calls by 100k customers over 90 days (Jan–Mar 2026) with
// `margin generate`, then times a command over it several times and writes bench/results/report-10m.md.
//
//   node bench/report-10m.js [--rows 10000000] [--customers 100000] [--days 90] [--end 2026-04-01]
//     [--seed 1] [--runs 5] [--cmd "node dist/cli/main.js report --db {db} --json"] [--regen] [--out FILE]
//   quick: node bench/report-10m.js --rows 1000000 --customers 10000
//
// Ledgers live under bench/.data/ (git-ignored), keyed by the parameters and by a hash of the generator,
// the schema and the write path: change any of those and the ledger is generated afresh. A ledger whose
// generation did not finish has no `.done` file next to it and is never reused.
// The timed command defaults to `report --json` when the built CLI has it, else `usage --by customer`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cli = path.join(root, 'dist/cli/main.js');

function parseArgs(argv) {
  const o = {
    rows: 10_000_000,
    customers: 100_000,
    days: 90,
    end: '2026-04-01',
    seed: '1',
    runs: 5,
    cmd: undefined,
    regen: false,
    out: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const key = flag.replace(/^--/, '');
    if (flag === '--regen') o.regen = true;
    else if (key in o && argv[i + 1] !== undefined) {
      const v = argv[++i];
      o[key] = ['rows', 'customers', 'days', 'runs'].includes(key) ? Number(v) : v;
      if (typeof o[key] === 'number' && !(Number.isInteger(o[key]) && o[key] > 0))
        throw new Error(`${flag}: must be a positive whole number (got ${v})`);
    } else throw new Error(`unknown or incomplete option ${flag}`);
  }
  return o;
}

/** Hash of what shapes the ledger's content and layout: a change regenerates it. */
function generatorHash() {
  const h = createHash('sha256');
  const files = [
    ...readdirSync(path.join(root, 'dist/economics/generate'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => `dist/economics/generate/${f}`),
    'dist/ledger/sqlite/migrations.js',
    'dist/ledger/sqlite/insert-requests.js',
    ...readdirSync(path.join(root, 'data/traces')).map((f) => `data/traces/${f}`),
  ].sort();
  for (const f of files) h.update(f).update(readFileSync(path.join(root, f)));
  return h.digest('hex').slice(0, 10);
}

function ensureLedger(o) {
  const dir = path.join(here, '.data');
  mkdirSync(dir, { recursive: true });
  const name = `ledger-${o.rows}r-${o.customers}c-${o.days}d-${o.end}-s${o.seed}-${generatorHash()}`;
  const db = path.join(dir, `${name}.db`);
  const done = path.join(dir, `${name}.done`);
  if (!o.regen && existsSync(done) && existsSync(db)) {
    process.stderr.write(`reusing ${path.relative(root, db)}\n`);
    return { db, generated: JSON.parse(readFileSync(done, 'utf8')), reused: true };
  }
  for (const f of [db, `${db}-wal`, `${db}-shm`, done]) rmSync(f, { force: true });
  process.stderr.write(`generating ${o.rows} rows, ${o.customers} customers, ${o.days} days → ${db}\n`);
  const args = ['generate', '--rows', o.rows, '--customers', o.customers, '--days', o.days, '--end', o.end];
  const r = spawnSync(process.execPath, [cli, ...args.map(String), '--seed', o.seed, '--db', db, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`margin generate failed (exit ${r.status})`);
  const generated = JSON.parse(r.stdout);
  // Fold the WAL into the file, so every timed run starts from the same state.
  spawnSync(process.execPath, ['-e', checkpointScript(db)], { stdio: 'inherit' });
  writeFileSync(done, `${JSON.stringify(generated, null, 2)}\n`);
  return { db, generated, reused: false };
}

const checkpointScript = (db) =>
  `const D = require(${JSON.stringify(path.join(root, 'node_modules/better-sqlite3'))});
   const db = new D(${JSON.stringify(db)}); db.pragma('wal_checkpoint(TRUNCATE)'); db.close();`;

/** Whether the built CLI lists this command (an unknown command's --help would print the root help). */
function hasCommand(name) {
  const r = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
  return new RegExp(`^\\s+${name}\\b`, 'm').test(r.stdout ?? '');
}

/** The report over the generated range (the default range ends now and would hold none of its rows). */
function defaultCommand() {
  return hasCommand('report')
    ? 'node dist/cli/main.js report --db {db} --json --from {from} --to {to}'
    : 'node dist/cli/main.js usage --db {db} --by customer --json';
}

/** A report that missed rows would be timed doing less work: its buckets must count every generated call. */
function checkCoverage(stdout, rows) {
  let report;
  try {
    report = JSON.parse(stdout);
  } catch {
    return;
  }
  if (!Array.isArray(report?.buckets)) return;
  const counted = report.buckets.reduce((n, b) => n + (b.totals?.requests ?? 0), 0);
  if (counted !== rows) throw new Error(`the report counts ${counted} calls, the ledger holds ${rows}`);
}

/** Runs the command once; returns wall milliseconds and the output size. Fails loudly on a non-zero exit. */
function timeOnce(argv) {
  const started = performance.now();
  const r = spawnSync(argv[0] === 'node' ? process.execPath : argv[0], argv.slice(1), {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1024 ** 3,
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return { ms, bytes: Buffer.byteLength(r.stdout), stdout: r.stdout };
}

function fileBytes(db) {
  return [db, `${db}-wal`].reduce((s, f) => s + (existsSync(f) ? statSync(f).size : 0), 0);
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(cli)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const { db, generated, reused } = ensureLedger(o);
  const cmd = o.cmd ?? defaultCommand();
  const argv = cmd
    .split(/\s+/)
    .filter(Boolean)
    .map((a) =>
      a.replaceAll('{db}', db).replaceAll('{from}', generated.from).replaceAll('{to}', generated.to),
    );
  process.stderr.write(`timing: ${cmd} (1 warm-up run, then ${o.runs})\n`);
  const warm = timeOnce(argv);
  checkCoverage(warm.stdout, o.rows);
  const times = [];
  for (let i = 0; i < o.runs; i++) {
    const t = timeOnce(argv);
    times.push(t.ms);
    process.stderr.write(`  run ${i + 1}: ${(t.ms / 1000).toFixed(3)} s\n`);
  }
  const stats = { min: Math.min(...times), median: median(times), max: Math.max(...times) };
  const s = (ms) => (ms / 1000).toFixed(3);
  const md = `# Report benchmark: ${o.rows.toLocaleString('en')} ledger rows

Command: \`${cmd}\` (\`{db}\` = the generated ledger), timed end to end as a fresh process (start-up included),
after one untimed warm-up run (${s(warm.ms)} s, ${warm.bytes.toLocaleString('en')} bytes of output).

| rows | customers | days | runs | min (s) | median (s) | max (s) |
|---:|---:|---:|---:|---:|---:|---:|
| ${o.rows.toLocaleString('en')} | ${o.customers.toLocaleString('en')} | ${o.days} | ${o.runs} | ${s(stats.min)} | ${s(stats.median)} | ${s(stats.max)} |

Ledger: \`margin generate --rows ${o.rows} --customers ${o.customers} --days ${o.days} --end ${o.end} --seed ${o.seed}\`
(${generated.from} to ${generated.to}), ${(fileBytes(db) / 1024 ** 3).toFixed(2)} GiB on disk,
total cost $${generated.cost_usd}; ${reused ? 'reused from an earlier run; it was ' : ''}generated in ${generated.seconds} s
(${generated.rows_per_second.toLocaleString('en')} rows/s through the ledger's write path; ${generated.cpu_seconds} CPU s,
${generated.rows_per_cpu_second?.toLocaleString('en')} rows per CPU second).

Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB RAM,
Node ${process.version}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')} at the end; ${new Date().toISOString()}.
`;
  const out =
    o.out ?? path.join(here, 'results', o.rows === 10_000_000 ? 'report-10m.md' : `report-${o.rows}.md`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, md);
  process.stdout.write(`${md}\nwritten to ${path.relative(root, out)}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench:report: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
