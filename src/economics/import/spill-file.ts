import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import type { LedgerRow } from '../../ledger/types.js';
import { readLines } from './read-jsonl.js';

// A row is spilled as a JSON array of its fields in a fixed order, written and read field by field
// (a literal of known shape is several times cheaper to build than one filled by a loop over names).
const FLUSH_ROWS = 2000;

function encode(r: LedgerRow): string {
  return JSON.stringify([
    r.id,
    r.ts,
    r.customer,
    r.keyId,
    r.feature,
    r.provider,
    r.protocol,
    r.modelRequested,
    r.modelServed,
    r.modelRouted,
    r.inputTokens,
    r.outputTokens,
    r.reasoningTokens,
    r.cacheWrite5mTokens,
    r.cacheWrite1hTokens,
    r.cacheReadTokens,
    r.costPico,
    r.unpriced,
    r.estimated,
    r.cacheHit,
    r.status,
    r.errorCode,
    r.latencyMs,
    r.ttftMs,
    r.streamed,
    r.tags ?? null,
  ]);
}

function decode(text: string): LedgerRow {
  const v = JSON.parse(text) as unknown[];
  const row: LedgerRow = {
    id: v[0] as string,
    ts: v[1] as number,
    customer: v[2] as string,
    keyId: v[3] as string,
    feature: v[4] as string,
    provider: v[5] as string,
    protocol: v[6] as string,
    modelRequested: v[7] as string,
    modelServed: v[8] as string | null,
    modelRouted: v[9] as string | null,
    inputTokens: v[10] as number,
    outputTokens: v[11] as number,
    reasoningTokens: v[12] as number,
    cacheWrite5mTokens: v[13] as number,
    cacheWrite1hTokens: v[14] as number,
    cacheReadTokens: v[15] as number,
    costPico: v[16] as number | null,
    unpriced: v[17] as boolean,
    estimated: v[18] as boolean,
    cacheHit: v[19] as boolean,
    status: v[20] as number,
    errorCode: v[21] as string | null,
    latencyMs: v[22] as number,
    ttftMs: v[23] as number | null,
    streamed: v[24] as boolean,
  };
  if (v[25] != null) row.tags = v[25] as string[];
  return row;
}

/**
 * The rows the check pass accepted, kept in a temporary file until it is known they may all be written:
 * the write pass then writes exactly what was checked, without reading and validating the logs again.
 * The caller owns the file's directory (and removes it).
 */
export class SpillFile {
  private readonly out: WriteStream;
  private pending: string[] = [];
  rows = 0;

  constructor(readonly file: string) {
    this.out = createWriteStream(file);
  }

  /** Resolves at once unless the file is behind, so the reader is paused instead of filling memory. */
  add(row: LedgerRow): Promise<void> | undefined {
    this.pending.push(encode(row));
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

  get bytes(): number {
    return this.out.bytesWritten;
  }

  /** Stops writing (the import failed); the file goes with its directory. */
  destroy(): void {
    this.out.destroy();
  }
}

/** A spill file's rows in order, a chunk at a time; `onBytes` hears how far through the file reading is. */
export async function* readSpill(
  file: string,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<LedgerRow[]> {
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  for await (const { lines } of readLines(input)) {
    yield lines.map(decode);
    onBytes?.(input.bytesRead);
  }
}
