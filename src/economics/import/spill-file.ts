import { once } from 'node:events';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import type { LedgerRow } from '../../ledger/types.js';
import { readLines } from './read-jsonl.js';

// A row is spilled as a JSON array of its fields in a fixed order, written and read field by field
// (a literal of known shape is several times cheaper to build than one filled by a loop over names).
/** Bytes of encoded rows gathered before they are written. */
const CHUNK_BYTES = 1 << 20;

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
 * Lines are encoded straight into a buffer (joining them into one string first cost twice the encoding).
 * The caller owns the file's directory (and removes it).
 */
export class SpillFile {
  private readonly out: WriteStream;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  rows = 0;

  constructor(readonly file: string) {
    this.out = createWriteStream(file);
  }

  /** Resolves at once unless the file is behind, so the reader is paused instead of filling memory. */
  add(row: LedgerRow): Promise<void> | undefined {
    const line = encode(row);
    this.rows++;
    // A UTF-16 unit takes at most 3 bytes in UTF-8; the line needs a newline too.
    const wait =
      this.used + line.length * 3 + 1 > this.buf.length ? this.flush(line.length * 3 + 1) : undefined;
    this.used += this.buf.write(line, this.used);
    this.buf[this.used++] = 10;
    return wait;
  }

  /** Writes the buffer out and starts a new one with room for at least `need` bytes. */
  private flush(need = 0): Promise<void> | undefined {
    const full = this.buf.subarray(0, this.used);
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, need));
    this.used = 0;
    if (full.length === 0 || this.out.write(full)) return undefined;
    return once(this.out, 'drain').then(() => undefined);
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
