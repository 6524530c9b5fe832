import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { SourceRecord } from './types.js';

/** One JSON object per line; blank lines are skipped, a line that is not an object is a bad row. */
export async function* readJsonl(input: Readable): AsyncGenerator<SourceRecord> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield { line, fields: {}, error: `not valid JSON (${(e as Error).message})` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      yield { line, fields: {}, error: 'not a JSON object' };
    else yield { line, fields: value as Record<string, unknown> };
  }
}
