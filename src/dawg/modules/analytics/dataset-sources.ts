import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../../../common/errors';
import { fieldError } from '../../../common/validation';
import { sqlString, type ColumnType, type Row } from './analytics-store';

/*
 * Where a dataset's rows come from: a file in the store's files dir (read by DuckDB itself)
 * or inline rows whose column types are inferred here.
 */

const FILE_FIELD = 'params.file';

const READERS: Record<string, (quotedPath: string) => string> = {
  '.csv': (p) => `read_csv(${p})`,
  '.parquet': (p) => `read_parquet(${p})`,
  '.json': (p) => `read_json(${p})`,
  '.ndjson': (p) => `read_json(${p}, format = 'newline_delimited')`,
};

const inside = (root: string, candidate: string) => {
  const rel = path.relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

/**
 * The DuckDB table expression that reads `file`. The instance could not read outside
 * filesDir anyway; checking here first gives the caller a 400/404 naming the field rather
 * than a permission error, and the realpath check also refuses a symlink that leads out.
 */
export async function fileReader(filesDir: string, file: string): Promise<string> {
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..') || file.includes('\0')) {
    throw fieldError(FILE_FIELD, 'must be a path relative to the analytics files dir, without ".."');
  }
  if (/[*?[\]{}]/.test(file)) throw fieldError(FILE_FIELD, 'must name one file (glob patterns are not accepted)');
  const reader = READERS[path.extname(file).toLowerCase()];
  if (!reader) throw fieldError(FILE_FIELD, `must end in ${Object.keys(READERS).join(', ')}`);
  const full = path.resolve(filesDir, file);
  if (!inside(filesDir, full)) throw fieldError(FILE_FIELD, 'must be inside the analytics files dir');
  const real = await realpath(full).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new NotFoundError(`No file "${file}" in the analytics files dir`, { field: FILE_FIELD }, 'FILE_NOT_FOUND');
    throw err;
  });
  if (!inside(await realpath(filesDir), real)) throw fieldError(FILE_FIELD, 'leads outside the analytics files dir (symbolic link)');
  if (!(await stat(real)).isFile()) throw fieldError(FILE_FIELD, 'is not a file');
  return reader(sqlString(full));
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const INT32 = 2 ** 31;

/** Whether the calendar fields exist (JS's Date rolls 2024-02-30 over to March; DuckDB refuses it). */
function realDate(y: string, m: string, d: string, hh = '00', mm = '00', ss = '00'): boolean {
  const t = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d), Number(hh), Number(mm), Number(ss)));
  return t.getUTCFullYear() === Number(y) && t.getUTCMonth() === Number(m) - 1 && t.getUTCDate() === Number(d) && t.getUTCHours() === Number(hh) && t.getUTCMinutes() === Number(mm) && t.getUTCSeconds() === Number(ss);
}

const isDate = (s: string) => {
  const m = DATE.exec(s);
  return m !== null && realDate(m[1]!, m[2]!, m[3]!);
};
const isTimestamp = (s: string) => {
  const m = TIMESTAMP.exec(s);
  return m !== null && realDate(m[1]!, m[2]!, m[3]!, m[4], m[5], m[6]);
};

/** A zoned timestamp as the instant it names ("+02" and "+0200" spelled as "+02:00" for Date). */
function zonedInstant(s: string): Date | undefined {
  const zone = TIMESTAMP.exec(s)?.[8];
  if (!zone) return undefined;
  const iso = s.replace(' ', 'T').replace(/([+-]\d{2}):?(\d{2})?$/, (_, h: string, m?: string) => `${h}:${m ?? '00'}`);
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

function typeOf(values: readonly unknown[]): ColumnType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (!present.length) return 'VARCHAR';
  if (present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.every((v) => typeof v === 'number')) {
    const nums = present as number[];
    if (!nums.every(Number.isInteger)) return 'DOUBLE';
    if (nums.every((n) => n >= -INT32 && n < INT32)) return 'INTEGER';
    return nums.every(Number.isSafeInteger) ? 'BIGINT' : 'DOUBLE';
  }
  if (present.every((v) => typeof v === 'string')) {
    const strings = present as string[];
    if (strings.every(isDate)) return 'DATE';
    if (strings.every((s) => isDate(s) || isTimestamp(s))) return 'TIMESTAMP';
  }
  // Mixed kinds (or plain text) stay text: DuckDB writes numbers and booleans as their literals.
  return 'VARCHAR';
}

/** Column names in first-seen order and each column's type, inferred from all its values. */
export function inferColumns(rows: readonly Row[]): Record<string, ColumnType> {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(names.map((name) => [name, typeOf(rows.map((r) => r[name]))]));
}

/**
 * The rows as replaceTable should write them: DuckDB's TIMESTAMP cast drops a zone offset
 * instead of applying it, so zoned timestamps become UTC Dates here (millisecond precision).
 */
export function normaliseRows(rows: readonly Row[], columns: Record<string, ColumnType>): Row[] {
  const zoned = Object.keys(columns).filter((c) => columns[c] === 'TIMESTAMP');
  if (!zoned.length) return [...rows];
  return rows.map((row) => {
    const out: Row = { ...row };
    for (const c of zoned) {
      const v = row[c];
      const instant = typeof v === 'string' ? zonedInstant(v) : undefined;
      if (instant) out[c] = instant;
    }
    return out;
  });
}
