import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Row } from './analytics-store';

/**
 * Writes `rows` as newline-delimited JSON, only the `columns` named (missing ones as null, dates
 * as ISO text, bigints as text), for DuckDB's read_json; returns how many rows were written. No
 * DuckDB here, so a worker thread can write a table's file too.
 */
export async function writeNdjson(file: string, columns: readonly string[], rows: Iterable<Row>): Promise<number> {
  let count = 0;
  const out = createWriteStream(file);
  try {
    for (const row of rows) {
      const line: Row = {};
      for (const c of columns) {
        const v = row[c];
        line[c] = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? v.toString() : (v ?? null);
      }
      if (!out.write(`${JSON.stringify(line)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      count += 1;
    }
  } finally {
    out.end();
  }
  await finished(out);
  return count;
}
