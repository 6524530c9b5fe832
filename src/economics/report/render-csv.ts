// `--csv DIR`: each table as its own CSV file (RFC 4180 quoting by csv-stringify).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { Table } from './tables.js';

export async function writeCsv(dir: string, tables: readonly Table[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const t of tables) {
    const file = join(dir, `${t.name}.csv`);
    await writeFile(file, stringify([t.headers, ...t.rows]));
    files.push(file);
  }
  return files;
}
