import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerRow } from '../../ledger/types.js';
import { readLines } from './read-jsonl.js';

// Every field of a row, in a fixed order: a row is spilled as a JSON array of these values.
const KEYS = [
  'id',
  'ts',
  'customer',
  'keyId',
  'feature',
  'provider',
  'protocol',
  'modelRequested',
  'modelServed',
  'modelRouted',
  'inputTokens',
  'outputTokens',
  'reasoningTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'cacheReadTokens',
  'costPico',
  'unpriced',
  'estimated',
  'cacheHit',
  'status',
  'errorCode',
  'latencyMs',
  'ttftMs',
  'streamed',
  'tags',
] as const satisfies readonly (keyof LedgerRow)[];

const FLUSH_ROWS = 2000;
const TAGS = KEYS.length - 1;

function decode(text: string): LedgerRow {
  const values = JSON.parse(text) as unknown[];
  const row: Record<string, unknown> = {};
  for (let i = 0; i < TAGS; i++) row[KEYS[i] as string] = values[i];
  if (values[TAGS] != null) row.tags = values[TAGS];
  return row as unknown as LedgerRow;
}

/**
 * The rows the check pass accepted, kept in a temporary file until it is known they may all be written:
 * the write pass then writes exactly what was checked, without reading and validating the logs again.
 */
export class SpillFile {
  private readonly dir = mkdtempSync(join(tmpdir(), 'margin-import-'));
  private readonly file = join(this.dir, 'rows.jsonl');
  private readonly out: WriteStream = createWriteStream(this.file);
  private pending: string[] = [];
  rows = 0;

  /** Resolves at once unless the file is behind, so the reader is paused instead of filling memory. */
  add(row: LedgerRow): Promise<void> | undefined {
    this.pending.push(JSON.stringify(KEYS.map((k) => row[k])));
    this.rows++;
    if (this.pending.length < FLUSH_ROWS) return undefined;
    return this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const ok = this.out.write(`${this.pending.join('\n')}\n`);
    this.pending = [];
    if (!ok) await once(this.out, 'drain');
  }

  async finish(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) =>
      this.out.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
  }

  /** The spilled rows in order, a chunk at a time; `onBytes` hears how far through the file reading is. */
  async *read(onBytes?: (bytes: number) => void): AsyncGenerator<LedgerRow[]> {
    const input = createReadStream(this.file, { highWaterMark: 1 << 20 });
    for await (const { lines } of readLines(input)) {
      yield lines.map(decode);
      onBytes?.(input.bytesRead);
    }
  }

  get bytes(): number {
    return this.out.bytesWritten;
  }

  remove(): void {
    this.out.destroy();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
