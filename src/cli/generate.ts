import type { Command } from 'commander';
import { picoToUsd } from '../util/money.js';
import { parseTimeArg } from '../util/time-arg.js';
import { configFrom, type StoreFlags } from './context.js';

const DAY_MS = 86_400_000;
/** Calls per customer per day when --rows is not given: enough that plan margins are worth reading. */
const DEFAULT_ROWS_PER_CUSTOMER_DAY = 10;

interface GenerateFlags extends StoreFlags {
  customers?: string;
  days?: string;
  rows?: string;
  seed: string;
  end?: string;
  json?: boolean;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'write realistic synthetic usage (heavy-tailed customers, real-trace token sizes) into the ledger',
    )
    .requiredOption('--customers <n>', 'number of customers')
    .requiredOption('--days <n>', 'days of usage, ending at --end')
    .option('--rows <n>', `calls in total (default: ${DEFAULT_ROWS_PER_CUSTOMER_DAY} per customer per day)`)
    .option('--seed <s>', 'seed: the same seed and options write the same ledger', '1')
    .option('--end <date>', 'end of the window, exclusive (ISO-8601 or epoch ms; default: today 00:00 UTC)')
    .option('--json', 'print the summary as JSON')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file (ledger path, pricing overrides, declared providers)')
    .action(async (o: GenerateFlags) => {
      const customers = positiveInt('--customers', o.customers, 10_000_000);
      const days = positiveInt('--days', o.days, 3660);
      const rows =
        o.rows === undefined
          ? customers * days * DEFAULT_ROWS_PER_CUSTOMER_DAY
          : positiveInt('--rows', o.rows, 2e9);
      const endMs = parseTimeArg('--end', o.end) ?? Math.floor(Date.now() / DAY_MS) * DAY_MS;
      const config = await configFrom(o);
      const [{ PriceCatalog }, { openLedger }, { generateUsage }] = await Promise.all([
        import('../pricing/catalog.js'),
        import('../ledger/sqlite/open-ledger.js'),
        import('../economics/generate/generate.js'),
      ]);
      const catalog = new PriceCatalog(
        config.pricing.overrides,
        (id) => config.providers[id]?.catalogProvider ?? id,
      );
      const db = openLedger(config.db, { writable: true });
      // A bulk load touches index pages all over the file: a bigger page cache (256 MiB) keeps it fast,
      // and checkpoints every 64 MiB of WAL instead of 4 MiB copy each page fewer times. No fsync: an
      // interrupted generation is re-run, not recovered (the gateway's own connections keep NORMAL).
      db.pragma('cache_size = -262144');
      db.pragma('wal_autocheckpoint = 16384');
      db.pragma('synchronous = OFF');
      const bar = await progressBar(rows);
      const started = performance.now();
      const cpuStarted = process.cpuUsage();
      try {
        const r = await generateUsage(db, {
          customers,
          days,
          rows,
          seed: o.seed,
          endMs,
          catalog,
          onProgress: (n) => bar?.update(n),
        });
        bar?.stop();
        const seconds = (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuStarted);
        // CPU time too: on a shared machine the wall clock says more about the neighbours than about this.
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        const summary = {
          db: config.db,
          rows: r.rows,
          customers: r.customers,
          sessions: r.sessions,
          from: new Date(r.from).toISOString(),
          to: new Date(r.to).toISOString(),
          cost_usd: picoToUsd(r.costPico),
          unpriced_rows: r.unpricedRows,
          error_rows: r.errorRows,
          response_cache_hits: r.cacheHitRows,
          seconds: Math.round(seconds * 10) / 10,
          rows_per_second: Math.round(r.rows / seconds),
          cpu_seconds: Math.round(cpuSeconds * 10) / 10,
          rows_per_cpu_second: Math.round(r.rows / cpuSeconds),
        };
        if (o.json) return void process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        process.stdout.write(
          `generated ${r.rows} rows for ${r.customers} customers (${r.sessions} sessions), ` +
            `${summary.from} to ${summary.to}\n` +
            `total cost $${summary.cost_usd} (${r.errorRows} errors, ${r.cacheHitRows} response-cache hits, ` +
            `${r.unpricedRows} unpriced)\n` +
            `${summary.seconds} s, ${summary.rows_per_second} rows/s (${summary.rows_per_cpu_second} per CPU second) → ${config.db}\n`,
        );
      } finally {
        bar?.stop();
        db.close();
      }
    });
}

function positiveInt(flag: string, v: string | undefined, max: number): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new Error(`${flag}: must be a whole number from 1 to ${max} (got ${JSON.stringify(v)})`);
  return n;
}

/** A progress bar on a terminal (stderr); none when output is piped or redirected. */
async function progressBar(total: number) {
  if (!process.stderr.isTTY) return undefined;
  const { SingleBar, Presets } = await import('cli-progress');
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: 'generate [{bar}] {percentage}% | {value}/{total} rows | {eta_formatted} left',
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
