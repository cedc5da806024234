import { z } from 'zod';

/*
 * The analytics module's action parameters (blueprint §2.1.2: executeDataQuery,
 * generateDashboard, plus the dataset and EDA actions of issue 10). The control plane
 * validates and documents query and dashboard with these same schemas (ChatGPT Actions), so
 * the module's actions declare exactly these.
 */

const source = z
  .enum(['analytics', 'jarvis'])
  .default('analytics')
  .describe('analytics: the DAWG’s DuckDB store (every loaded dataset, one table each); jarvis: the control plane’s own PostgreSQL data');
const sql = z.string().trim().min(1).max(20_000).describe('One read-only SQL statement (SELECT/WITH); anything that writes is refused');

/** executeDataQuery: one read-only statement, bounded rows. */
export const analyticsQueryParams = z.strictObject({
  sql,
  params: z
    .array(z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]))
    .max(100)
    .optional()
    .describe('Values for $1, $2, … in the statement'),
  source,
  maxRows: z.number().int().min(1).max(10_000).default(1_000).describe('Rows returned at most; the answer says when more matched'),
});

const column = z.string().min(1).max(200);
const chartSchema = z.strictObject({
  type: z.enum(['line', 'bar', 'area', 'scatter', 'pie', 'histogram', 'table']),
  title: z.string().max(200).optional(),
  x: column.optional().describe('Column on the x axis (category for bar/pie)'),
  y: z.union([column, z.array(column).min(1).max(8)]).optional().describe('Column(s) plotted against x'),
});

/** generateDashboard: charts over inline rows or over a query's result, rendered and stored. */
export const analyticsDashboardParams = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    data: z.array(z.record(z.string(), z.unknown())).min(1).max(10_000).optional().describe('Rows to chart (give data or query)'),
    query: z.strictObject({ sql, source }).optional().describe('A read-only query whose result is charted'),
    charts: z.array(chartSchema).min(1).max(12),
  })
  .superRefine((v, ctx) => {
    if ((v.data === undefined) === (v.query === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.data === undefined ? 'data' : 'query'], message: 'give either data or query' });
    }
  });


/** A dataset's table name: lower case so it never needs quoting in the SQL a caller writes. */
export const datasetName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'must start with a lower-case letter, then up to 62 lower-case letters, digits or _')
  .describe('Dataset name: the table to query (schema main)');

const inlineValue = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);

/** load-dataset: a file from the store's files dir, or inline rows. */
export const loadDatasetParams = z
  .strictObject({
    name: datasetName,
    file: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .describe('A .csv, .parquet, .json or .ndjson file, relative to the DAWG’s analytics files dir'),
    rows: z
      .array(z.record(z.string().min(1).max(128), inlineValue))
      .min(1)
      .max(10_000)
      .optional()
      .describe('Inline rows (flat objects); column types are inferred from the values'),
    replace: z.boolean().default(false).describe('Replace an existing dataset of that name (otherwise 409)'),
  })
  .superRefine((v, ctx) => {
    if ((v.file === undefined) === (v.rows === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.file === undefined ? 'file' : 'rows'], message: 'give either file or rows' });
    }
  });

export const listDatasetsParams = z.strictObject({});

export const dropDatasetParams = z.strictObject({ name: datasetName });

/** describe: exploratory statistics of one dataset, computed by DuckDB. */
export const describeParams = z.strictObject({
  dataset: datasetName,
  columns: z
    .array(z.string().min(1).max(255))
    .min(1)
    .max(200)
    .optional()
    .describe('Columns to describe (default: all, at most 200)'),
});
