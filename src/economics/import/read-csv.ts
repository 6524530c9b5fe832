import type { Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';
import type { SourceRecord } from './types.js';

/**
 * CSV with a header row, streamed record by record (csv-parse). A row that cannot be parsed (wrong
 * number of columns, a broken quote) is reported as a bad row and the rest of the file is still read.
 */
export async function* readCsv(input: Readable): AsyncGenerator<SourceRecord> {
  const skipped: SourceRecord[] = [];
  const parser = input.pipe(
    parse({
      columns: (header: string[]) => header.map((h) => h.trim()),
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        const line = (err as { lines?: number } | undefined)?.lines ?? 0;
        skipped.push({ line, fields: {}, error: `not a valid CSV row (${err?.message ?? 'unreadable'})` });
        return undefined;
      },
    }),
  );
  // The header is line 1; csv-parse counts the lines read when a record is complete, so a record that
  // spans lines (a quoted newline) is named by its last line.
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    yield { line: info.lines, fields: record };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}
