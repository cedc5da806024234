import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';

/*
 * Query-plan hints: DuckDB's EXPLAIN (the plan only, nothing is run again) read for the few
 * patterns that make an analytical query slow or its answer useless, each turned into one
 * short sentence that says what to change. No hint when none applies.
 */

/** One operator of `EXPLAIN (FORMAT json)`. */
export interface PlanNode {
  name: string;
  children: PlanNode[];
  extra_info: Record<string, unknown>;
}

export interface HintOptions {
  /** An unfiltered scan of a table with more rows than this gets a hint. */
  largeTableRows: number;
  /** A cross product or nested-loop join expected to compare more pairs than this gets a hint. */
  largeJoinPairs: number;
  /** `SELECT *` over a table with at least this many columns gets a hint. */
  wideTableColumns: number;
}

export const DEFAULT_HINT_OPTIONS: HintOptions = { largeTableRows: 100_000, largeJoinPairs: 1_000_000, wideTableColumns: 12 };

export interface TableColumns {
  /** Column name → DuckDB type. */
  columns: Array<{ name: string; type: string }>;
}

export interface HintInput {
  plan: PlanNode[];
  sql: string;
  maxRows: number;
  truncated: boolean;
  /** Columns of the scanned tables, keyed by the plan's `Table` (catalog.schema.table). */
  tables: ReadonlyMap<string, TableColumns>;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
/** Operators that pass rows through as they come, so a LIMIT above them stops the scan early. */
const STREAMING = new Set(['PROJECTION', 'FILTER', 'STREAMING_LIMIT', 'LIMIT']);
const JOIN_WITHOUT_HASH = new Set(['CROSS_PRODUCT', 'NESTED_LOOP_JOIN', 'BLOCKWISE_NL_JOIN']);
/** A projection that takes every column: `SELECT *`, `SELECT t.*`, or DuckDB's bare `FROM t`. */
const STAR = /\bselect\s+(?:distinct\s+)?(?:[a-z_]\w*\.)?\*|^\s*from\s/i;

function estimate(node: PlanNode): number | undefined {
  const own = Number(node.extra_info['Estimated Cardinality']);
  if (Number.isFinite(own) && node.extra_info['Estimated Cardinality'] !== undefined) return own;
  if (node.name === 'CROSS_PRODUCT') {
    const sides = node.children.map(estimate);
    return sides.every((s) => s !== undefined) ? sides.reduce<number>((a, s) => a * s!, 1) : undefined;
  }
  return node.children.length === 1 ? estimate(node.children[0]!) : undefined;
}

function projections(node: PlanNode): string[] {
  const p = node.extra_info.Projections;
  if (Array.isArray(p)) return p.map(String);
  return typeof p === 'string' && p !== '' ? [p] : [];
}

/** "memory.main.churn_activity" → "churn_activity" (schema kept when it is not main). */
function tableLabel(qualified: string): string {
  const parts = qualified.split('.');
  const table = parts.at(-1) ?? qualified;
  const schema = parts.at(-2);
  return schema && schema !== 'main' ? `${schema}.${table}` : table;
}

function isUnfiltered(node: PlanNode): boolean {
  const filters = node.extra_info.Filters;
  // DuckDB adds "optional: Dynamic Filter" for a top-N; it does not narrow what is read.
  return filters === undefined || (typeof filters === 'string' && /^optional:/.test(filters));
}

function fullScanHint(node: PlanNode, tables: HintInput['tables'], options: HintOptions): string | undefined {
  const rows = estimate(node);
  const table = String(node.extra_info.Table ?? '');
  if (!table || rows === undefined || rows <= options.largeTableRows || !isUnfiltered(node)) return undefined;
  const temporal = tables.get(table)?.columns.find((c) => /^(DATE|TIMESTAMP)/.test(c.type));
  const advice = temporal ? `add a WHERE on ${temporal.name}` : 'add a WHERE that keeps only the rows you need';
  return `full scan of ${tableLabel(table)} (${fmt(rows)} rows): ${advice}`;
}

function joinHint(node: PlanNode, options: HintOptions): string | undefined {
  const sides = node.children.map(estimate);
  if (sides.length !== 2 || sides.some((s) => s === undefined)) return undefined;
  const pairs = sides[0]! * sides[1]!;
  if (pairs <= options.largeJoinPairs) return undefined;
  const size = `${fmt(sides[0]!)} × ${fmt(sides[1]!)} rows`;
  if (node.name === 'CROSS_PRODUCT') return `cross product (${size}, every pair of rows): add a join condition (JOIN … ON a.key = b.key)`;
  const condition = String(node.extra_info.Condition ?? node.extra_info.Conditions ?? '');
  return `nested-loop join${condition ? ` on ${condition}` : ''} compares every pair (${size}): an equality condition (a.key = b.key) lets DuckDB use a hash join`;
}

function sortHint(node: PlanNode, maxRows: number): string | undefined {
  const rows = node.children.length === 1 ? estimate(node.children[0]!) : undefined;
  if (rows === undefined || rows <= maxRows) return undefined;
  return `ORDER BY without LIMIT sorts all ~${fmt(rows)} rows: add LIMIT (DuckDB then keeps only the top rows)`;
}

function starHint(node: PlanNode, input: HintInput, options: HintOptions): string | undefined {
  const table = String(node.extra_info.Table ?? '');
  const columns = input.tables.get(table)?.columns.length ?? 0;
  if (columns < options.wideTableColumns || projections(node).length < columns || !STAR.test(input.sql)) return undefined;
  return `SELECT * reads all ${columns} columns of ${tableLabel(table)}: a columnar engine reads only the columns you name, so list the ones you need`;
}

/** The hints for one statement's plan and result, most important first, without repeats. */
export function planHints(input: HintInput, options: HintOptions = DEFAULT_HINT_OPTIONS): string[] {
  const hints: string[] = [];
  const visit = (node: PlanNode, limited: boolean) => {
    const stillLimited = (limited && STREAMING.has(node.name)) || node.name === 'STREAMING_LIMIT' || node.name === 'LIMIT';
    if (JOIN_WITHOUT_HASH.has(node.name)) hints.push(joinHint(node, options) ?? '');
    if (node.name === 'ORDER_BY') hints.push(sortHint(node, input.maxRows) ?? '');
    if (node.name === 'SEQ_SCAN') {
      if (!limited) hints.push(fullScanHint(node, input.tables, options) ?? '');
      hints.push(starHint(node, input, options) ?? '');
    }
    for (const child of node.children) visit(child, stillLimited);
  };
  for (const root of input.plan) visit(root, false);
  if (input.truncated) hints.push(`result truncated at ${fmt(input.maxRows)} rows: aggregate (GROUP BY) or add a WHERE/LIMIT to get the rows that matter`);
  return [...new Set(hints.filter(Boolean))];
}

/** Tables the plan scans (the plan's `Table`, catalog.schema.table). */
export function scannedTables(plan: readonly PlanNode[]): string[] {
  const out = new Set<string>();
  const visit = (node: PlanNode) => {
    if (node.name === 'SEQ_SCAN' && typeof node.extra_info.Table === 'string') out.add(node.extra_info.Table);
    node.children.forEach(visit);
  };
  plan.forEach(visit);
  return [...out];
}

/** The statement's physical plan, from EXPLAIN with the same parameters bound. */
export async function explainPlan(c: DuckDBConnection, sql: string, params: readonly DuckDBValue[]): Promise<PlanNode[]> {
  const prepared = await c.prepare(`EXPLAIN (FORMAT json) ${sql}`);
  if (params.length) prepared.bind([...params]);
  const rows = (await prepared.runAndReadAll()).getRowObjectsJS();
  const text = rows.find((r) => r.explain_key === 'physical_plan')?.explain_value;
  return typeof text === 'string' ? (JSON.parse(text) as PlanNode[]) : [];
}

/** Columns of the scanned tables, for the full-scan and `SELECT *` hints. */
export async function tableColumns(c: DuckDBConnection, tables: readonly string[]): Promise<Map<string, TableColumns>> {
  const out = new Map<string, TableColumns>();
  if (!tables.length) return out;
  const placeholders = tables.map((_, i) => `$${i + 1}`).join(', ');
  const reader = await c.runAndReadAll(
    `SELECT database_name || '.' || schema_name || '.' || table_name AS qualified, column_name, data_type
       FROM duckdb_columns() WHERE database_name || '.' || schema_name || '.' || table_name IN (${placeholders})
      ORDER BY qualified, column_index`,
    [...tables],
  );
  for (const row of reader.getRowObjectsJS()) {
    const key = String(row.qualified);
    const entry = out.get(key) ?? { columns: [] };
    entry.columns.push({ name: String(row.column_name), type: String(row.data_type) });
    out.set(key, entry);
  }
  return out;
}
