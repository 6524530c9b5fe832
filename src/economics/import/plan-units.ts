import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { CheckUnit } from './check-unit.js';
import type { ImportFormat } from './types.js';

/** The format of a file from its extension; `.csv` may still turn out to be LiteLLM's (see its header). */
export function guessFormat(file: string): ImportFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  if (ext === '.csv') return 'csv';
  throw new Error(
    `${file}: cannot tell the format from the extension ${JSON.stringify(ext)}; use --format jsonl|csv|litellm`,
  );
}

/**
 * The check pass's units, in file order: each file whole, except that a JSONL file (one record a line) of
 * at least two `minPart`s is cut at line starts into up to `parts` ranges of about equal size, which
 * threads can check side by side. CSV is never cut: a quoted field may hold a newline.
 */
export function planUnits(
  files: readonly string[],
  format: ImportFormat | undefined,
  parts: number,
  minPart: number,
): CheckUnit[] {
  const units: CheckUnit[] = [];
  for (const file of files) {
    const f = format ?? guessFormat(file);
    const whole = { file, format: f, chosen: format !== undefined, start: 0, end: Number.POSITIVE_INFINITY };
    const size = statSync(file).size;
    const n = Math.min(parts, Math.floor(size / minPart));
    if (f !== 'jsonl' || n < 2) {
      units.push(whole);
      continue;
    }
    let start = 0;
    for (let i = 1; i <= n && start < size; i++) {
      const end = i === n ? size : lineStartAfter(file, Math.floor((size * i) / n));
      if (end > start) units.push({ ...whole, start, end });
      start = end;
    }
    units[units.length - 1]!.end = Number.POSITIVE_INFINITY; // the last part reads to the end, whatever it is now
  }
  return units;
}

/** The offset just past the first newline at or after `pos` (the file's size when there is none). */
function lineStartAfter(file: string, pos: number): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (let at = pos; ; at += buf.length) {
      const n = readSync(fd, buf, 0, buf.length, at);
      if (n === 0) return at;
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl !== -1) return at + nl + 1;
    }
  } finally {
    closeSync(fd);
  }
}
