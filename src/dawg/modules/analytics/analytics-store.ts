import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { writeNdjson } from './ndjson';

/**
 * The DAWG's analytical store: one DuckDB database (a file under the DAWG's data dir, or in
 * memory for tests). Datasets are tables of the `main` schema; the marketing, engagement,
 * automation and model records live in the `jarvis` schema. The instance is locked down when
 * opened: DuckDB may read and write files only under `filesDir` (where CSV/Parquet files are
 * loaded from), and no SQL can change that afterwards (lock_configuration).
 *
 * DuckDB runs one statement per connection at a time, so the store keeps two connections:
 * one for the modules' own statements (serialised, transactions included) and one for
 * callers' read-only queries, which may then never block a write.
 */

/** Column types a table written by `replaceTable` may have. */
export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'INTEGER' | 'BOOLEAN' | 'TIMESTAMP' | 'DATE';

export type SqlParam = string | number | boolean | null | bigint | Date;
export type Row = Record<string, unknown>;

/** A connection used by one caller at a time: calls queue behind each other. */
class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly connection: DuckDBConnection) {}

  exclusive<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.tail.then(() => fn(this.connection));
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** DuckDB's JS values made JSON-safe: BIGINT/HUGEINT as numbers where exact, else strings; dates as ISO strings. */
export function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}

function toDuck(value: SqlParam): DuckDBValue {
  return value instanceof Date ? (value.toISOString() as DuckDBValue) : (value as DuckDBValue);
}

export class AnalyticsStore {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: SerialConnection,
    private readonly reader: SerialConnection,
    /** Directory CSV/Parquet files are loaded from; the only place DuckDB may touch files. */
    readonly filesDir: string,
  ) {}

  /** `file` ':memory:' keeps everything in memory (tests); otherwise the directory is created. */
  static async open(options: { file: string; filesDir: string }): Promise<AnalyticsStore> {
    await mkdir(options.filesDir, { recursive: true });
    // Table files in flight (replaceTable, generate-dataset) never outlive the process that
    // wrote them; one whose writer was abandoned (a caller that left while the analytics worker
    // was busy with another job) is removed here at the latest.
    await rm(path.join(options.filesDir, '.tmp'), { recursive: true, force: true });
    if (options.file !== ':memory:') await mkdir(path.dirname(options.file), { recursive: true });
    const instance = await DuckDBInstance.create(options.file);
    const writer = await instance.connect();
    const quoted = `'${path.resolve(options.filesDir).replaceAll("'", "''")}'`;
    // Order matters: the allowed directory first, then external access off, then the lock.
    await writer.run(`SET allowed_directories = [${quoted}]`);
    await writer.run('SET enable_external_access = false');
    await writer.run('SET autoinstall_known_extensions = false');
    await writer.run('SET autoload_known_extensions = false');
    await writer.run('SET lock_configuration = true');
    await writer.run('CREATE SCHEMA IF NOT EXISTS jarvis');
    const reader = await instance.connect();
    return new AnalyticsStore(instance, new SerialConnection(writer), new SerialConnection(reader), path.resolve(options.filesDir));
  }

  /** Rows of a trusted statement (the modules' own SQL), JSON-safe. */
  all<T = Row>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.writer.exclusive(async (c) => {
      const reader = await c.runAndReadAll(sql, params.length ? params.map(toDuck) : undefined);
      return reader.getRowObjectsJS().map((r) => jsonValue(r) as T);
    });
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<void> {
    await this.writer.exclusive((c) => c.run(sql, params.length ? params.map(toDuck) : undefined));
  }

  /**
   * Runs `fn` inside one transaction on the writer connection; nothing else uses the writer
   * meanwhile. A throw rolls everything back, so a multi-row change is never half-written.
   */
  transaction<T>(fn: (tx: Pick<AnalyticsStore, 'all' | 'run'>) => Promise<T>): Promise<T> {
    return this.writer.exclusive(async (c) => {
      const tx = {
        all: async <R = Row>(sql: string, params: readonly SqlParam[] = []) =>
          (await c.runAndReadAll(sql, params.length ? params.map(toDuck) : undefined)).getRowObjectsJS().map((r) => jsonValue(r) as R),
        run: async (sql: string, params: readonly SqlParam[] = []) => {
          await c.run(sql, params.length ? params.map(toDuck) : undefined);
        },
      };
      await c.run('BEGIN TRANSACTION');
      try {
        const result = await fn(tx);
        await c.run('COMMIT');
        return result;
      } catch (err) {
        await c.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Creates (or replaces) table `name` with `columns` and `rows` in one step: readers see the
   * old table or the complete new one, never a part. Rows go through a newline-delimited JSON
   * file in the files dir that DuckDB reads in bulk (binding values one by one from JS costs
   * ~20 µs each: 4 s for 200,000 rows of six columns, against ~0.2 s this way). Returns the
   * row count.
   */
  async replaceTable(name: string, columns: Record<string, ColumnType>, rows: Iterable<Row>, schema = 'main'): Promise<number> {
    const file = await this.tempFile('ndjson');
    try {
      const count = await writeNdjson(file, Object.keys(columns), rows);
      await this.tableFromNdjson(name, columns, file, count, schema);
      return count;
    } finally {
      await rm(file, { force: true });
    }
  }

  /** A fresh path under filesDir/.tmp (the only place DuckDB may read), for a file the caller removes. */
  async tempFile(extension: string): Promise<string> {
    const tmpDir = path.join(this.filesDir, '.tmp');
    await mkdir(tmpDir, { recursive: true });
    return path.join(tmpDir, `${randomUUID()}.${extension}`);
  }

  /** Creates (or replaces) table `name` from an NDJSON file written by writeNdjson with `count` rows. */
  async tableFromNdjson(name: string, columns: Record<string, ColumnType>, file: string, count: number, schema = 'main'): Promise<void> {
    const names = Object.keys(columns);
    const spec = names.map((c) => `${sqlString(c)}: ${sqlString(columns[c]!)}`).join(', ');
    const target = `${ident(schema)}.${ident(name)}`;
    const select = `SELECT ${names.map(ident).join(', ')} FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${spec}})`;
    await this.run(`CREATE OR REPLACE TABLE ${target} AS ${count === 0 ? `${select} LIMIT 0` : select}`);
  }

  /** The connection for callers' own (untrusted, read-only-checked) SQL, one statement at a time. */
  withReader<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.reader.exclusive(fn);
  }

  /** Names of the dataset tables (schema main). */
  async datasets(): Promise<string[]> {
    const rows = await this.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name");
    return rows.map((r) => r.name);
  }

  close(): void {
    this.instance.closeSync();
  }
}

/** A string as a SQL literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A dataset or column name as a quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
