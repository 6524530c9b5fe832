import type { Readable } from 'node:stream';
import type { SourceRecord } from './types.js';

/**
 * One JSON object per line; blank lines are skipped, a line that is not an object is a bad row.
 * `seen.lines` counts the lines read so far, blank ones included.
 */
export async function* readJsonl(input: Readable, seen?: { lines: number }): AsyncGenerator<SourceRecord> {
  for await (const { lines, first } of readLines(input)) {
    if (seen) seen.lines = first + lines.length - 1;
    for (let i = 0; i < lines.length; i++) {
      const rec = parseLine(lines[i] as string, first + i);
      if (rec) yield rec;
    }
  }
}

/**
 * The lines of a stream, a chunk's worth at a time, with the number (1-based) of the first. Lines are cut
 * from the raw bytes at `\n` (never inside a UTF-8 character): several times cheaper than readline.
 */
export async function* readLines(input: Readable): AsyncGenerator<{ lines: string[]; first: number }> {
  let carry: Buffer | undefined;
  let next = 1;
  for await (const buf of input as AsyncIterable<Buffer>) {
    const lines: string[] = [];
    let start = 0;
    let nl = buf.indexOf(10);
    if (carry && nl !== -1) {
      // The line that began in an earlier chunk: only it is copied, not the whole chunk.
      lines.push(lineText(Buffer.concat([carry, buf.subarray(0, nl + 1)]), 0, carry.length + nl));
      carry = undefined;
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    for (; nl !== -1; nl = buf.indexOf(10, start)) {
      lines.push(lineText(buf, start, nl));
      start = nl + 1;
    }
    if (start < buf.length) carry = carry ? Buffer.concat([carry, buf]) : Buffer.from(buf.subarray(start));
    if (lines.length > 0) {
      yield { lines, first: next };
      next += lines.length;
    }
  }
  if (carry) yield { lines: [lineText(carry, 0, carry.length)], first: next };
}

/** The text of buf[start, nl), without a trailing `\r`. */
const lineText = (buf: Buffer, start: number, nl: number) =>
  buf.toString('utf8', start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl);

function parseLine(text: string, line: number): SourceRecord | undefined {
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { line, fields: {}, error: `not valid JSON (${(e as Error).message})` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { line, fields: {}, error: 'not a JSON object' };
  return { line, fields: value as Record<string, unknown> };
}
