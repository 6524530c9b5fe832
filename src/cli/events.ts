import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { EventRecord } from '../events/outbox-store.js';
import { presentEvent } from '../events/present-event.js';
import { listEvents } from '../events/sqlite-outbox-store.js';
import { parseTimeArg } from '../util/time-arg.js';
import { dbFrom, type StoreFlags } from './context.js';
import { table } from './table.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

interface EventsFlags extends StoreFlags {
  customer?: string;
  type?: string;
  since?: string;
  limit: string;
  json?: boolean;
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('events from the outbox, newest first, with their webhook delivery status')
    .option('--customer <id>', 'only this customer')
    .option('--type <type>', 'only this event type')
    .option(
      '--since <time>',
      'from (inclusive): ISO-8601, epoch ms, or a duration back from now (30m, 24h, 7d)',
    )
    .option('--limit <n>', 'at most this many events (1-1000)', '50')
    .option('--json', 'JSON output')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file')
    .action(async (o: EventsFlags) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new Error(`--limit: must be an integer from 1 to 1000 (got ${o.limit})`);
      const since = parseSince(o.since, Date.now());
      const file = await dbFrom(o);
      if (!existsSync(file)) throw new Error(`no ledger at ${file} (set --db or the config's db)`);
      const events = listEvents(file, { customer: o.customer, type: o.type, since, limit });
      if (o.json)
        return void process.stdout.write(`${JSON.stringify({ data: events.map(presentEvent) }, null, 2)}\n`);
      process.stdout.write(`${renderEvents(events)}\n`);
    });
}

/** `--since` as a time (see parseTimeArg) or a duration such as `24h` counted back from `now`. */
export function parseSince(v: string | undefined, now: number): number | undefined {
  const m = v === undefined ? null : /^(\d+)([smhdw])$/.exec(v);
  if (m) return now - Number(m[1]) * (UNIT_MS[m[2] as string] ?? 0);
  return parseTimeArg('--since', v);
}

export function renderEvents(events: readonly EventRecord[]): string {
  if (events.length === 0) return 'no events';
  const rows = events.map((e) => [new Date(e.ts).toISOString(), e.id, e.type, e.customer, deliveryStatus(e)]);
  return table(['time', 'id', 'type', 'customer', 'webhooks'], rows);
}

/** One word per endpoint: `delivered`, or the status with attempts so far when not delivered. */
function deliveryStatus(e: EventRecord): string {
  if (e.deliveries.length === 0) return '-';
  return e.deliveries
    .map((d) => (d.status === 'delivered' ? d.status : `${d.status} (${d.attempts} attempts)`))
    .join('; ');
}
