import type { Command } from 'commander';
import type { ImportFormat } from '../economics/import/types.js';
import { configFrom, type StoreFlags } from './context.js';
import { progressBar } from './import-progress.js';

const FORMATS: readonly ImportFormat[] = ['jsonl', 'csv', 'litellm'];
/** Bad rows printed one per line; past this many only the count goes on. */
const MAX_PRINTED = 1000;

const HELP = `
Formats:
  jsonl    one JSON object per line (.jsonl, .ndjson, .json)
  csv      the same fields as CSV columns with a header row (.csv)
  litellm  a LiteLLM spend-log CSV export (LiteLLM_SpendLogs columns); a .csv whose header has
           spend, startTime and prompt_tokens is read as litellm without --format

Native record (jsonl, csv):
  request_id, model, input_tokens, output_tokens, timestamp (ISO-8601, UTC when no zone, or epoch ms),
  workspace_id and/or user_id (the customer: workspace_id when present, else user_id), and optionally
  feature (default "default"), cost_usd, cache_hit, latency_ms, provider, status (default 200),
  cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, tags (a list, or "a,b").
  input_tokens counts ALL input: cache reads and writes are parts of it; cache_write_tokens counts all
  writes and cache_write_1h_tokens the 1-hour part of them. cache_hit=true is a response-cache hit: no
  model was called, $0.

LiteLLM: the customer is end_user, else user, else team_id. Tokens from prompt_tokens and
  completion_tokens, cache reads/writes from metadata.additional_usage_values, cost from spend, time from
  startTime, latency from request_duration_ms or endTime, provider from custom_llm_provider, the feature
  from metadata.spend_logs_metadata.feature, tags from request_tags (LiteLLM's own "User-Agent: …" tags
  are left out), status "failure" as 500.

Pricing: a row without a cost is priced from the catalog at its timestamp (with the config's price
  overrides); a model the catalog does not know is imported unpriced, never as $0. A row with a cost
  keeps it, and is flagged when it differs from the catalog's price by more than $0.0000005 and 0.1%.

Errors: a bad row is reported as FILE:LINE: field: problem and never imported. All files are checked
  first: with more than --max-errors bad rows nothing at all is imported and the exit code is 1;
  otherwise the good rows are imported in batches of 100,000 per transaction. Re-importing adds nothing
  twice (rows are keyed by request_id): if writing stops part-way (the ledger busy, the process killed),
  run the same import again and only the missing rows are added. Customer ids must be 1–128 characters of letters, digits and
  . _ : @ - (the gateway's rule).`;

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('import existing request logs into the ledger (before the gateway is deployed)')
    .argument('<files...>', 'log files (.jsonl, .csv, or a LiteLLM spend-log CSV export)')
    .option('--format <format>', `${FORMATS.join('|')} (default: from each file's extension)`)
    .option('--dry-run', 'validate and price every row, write nothing')
    .option('--customer-field <field>', 'the field naming the customer (default: see below)')
    .option('--max-errors <n>', 'bad rows tolerated (skipped); more and nothing is imported', '0')
    .option('--db <file>', 'SQLite ledger file')
    .option('--config <file>', 'config file (price overrides, providers)')
    .addHelpText('after', HELP)
    .action(
      async (
        files: string[],
        o: StoreFlags & { format?: string; dryRun?: boolean; customerField?: string; maxErrors: string },
      ) => {
        if (o.format !== undefined && !FORMATS.includes(o.format as ImportFormat))
          throw new Error(`--format: must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(o.format)})`);
        const maxErrors = Number(o.maxErrors);
        if (!/^\d+$/.test(o.maxErrors) || !Number.isSafeInteger(maxErrors))
          throw new Error(`--max-errors: must be a whole number ≥ 0 (got ${JSON.stringify(o.maxErrors)})`);
        if (o.customerField !== undefined && o.customerField.trim() === '')
          throw new Error('--customer-field: must name a field');
        const config = await configFrom(o);
        const { runImport } = await import('../economics/import/run-import.js');
        let printed = 0;
        const s = await runImport({
          files,
          format: o.format as ImportFormat | undefined,
          customerField: o.customerField,
          maxErrors,
          dryRun: o.dryRun === true,
          db: config.db,
          config,
          onBadRow: (line) => {
            if (++printed <= MAX_PRINTED) process.stderr.write(`${line}\n`);
          },
          onProgress: await progressBar(),
        });
        if (printed > MAX_PRINTED)
          process.stderr.write(`… ${printed - MAX_PRINTED} more bad row(s) not shown\n`);
        for (const f of s.flaggedExamples) process.stderr.write(`flagged: ${f}\n`);
        const tooMany = s.bad > maxErrors;
        const verb = o.dryRun ? 'would import' : 'imported';
        const extra = [
          s.unpriced > 0 ? `${s.unpriced} unpriced (model not in the catalog)` : '',
          s.unchecked > 0 ? `${s.unchecked} with a cost the catalog cannot check` : '',
        ].filter(Boolean);
        const counts = tooMany
          ? `imported 0 (more than --max-errors ${maxErrors} bad rows: nothing was imported)`
          : `${verb} ${s.imported}, already present ${s.present}`;
        process.stdout.write(
          `${o.dryRun ? 'dry run: ' : ''}${s.read} rows read: ${counts}, flagged ${s.flagged}, bad ${s.bad}${extra.length ? ` (${extra.join(', ')})` : ''}\n`,
        );
        if (tooMany) process.exitCode = 1;
      },
    );
}
