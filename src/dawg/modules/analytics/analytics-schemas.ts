import { z } from 'zod';

/*
 * The analytics module's action parameters (blueprint §2.1.2: executeDataQuery,
 * generateDashboard). The module itself is not built yet (issue 10): these schemas are the
 * contract the control plane already validates and documents (ChatGPT Actions), and the
 * module's actions must declare exactly these.
 */

const sourceName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a source name such as jarvis or a loaded file’s name')
  .describe('Configured data source: jarvis (the control plane’s own data) or a loaded CSV/Parquet file');
const sql = z.string().trim().min(1).max(20_000).describe('One read-only SQL statement (SELECT/WITH); anything that writes is refused');

/** executeDataQuery: one read-only statement, bounded rows. */
export const analyticsQueryParams = z.strictObject({
  sql,
  params: z
    .array(z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]))
    .max(100)
    .optional()
    .describe('Values for $1, $2, … in the statement'),
  source: sourceName.default('jarvis'),
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
    query: z.strictObject({ sql, source: sourceName.default('jarvis') }).optional().describe('A read-only query whose result is charted'),
    charts: z.array(chartSchema).min(1).max(12),
  })
  .superRefine((v, ctx) => {
    if ((v.data === undefined) === (v.query === undefined)) {
      ctx.addIssue({ code: 'custom', path: [v.data === undefined ? 'data' : 'query'], message: 'give either data or query' });
    }
  });
