import { z } from 'zod';
import { datasetName } from '../analytics-schemas';

/*
 * analytics.ml-model parameters: one action, one variant per `kind`. Every training kind
 * reads rows from a dataset table (schema main) or from inline `data`, exactly one of them.
 */

/** A dataset table name in schema main. */
export const tableName = datasetName;
const column = z.string().min(1).max(128).describe('Column name');
const seed = z.number().int().min(0).max(2_147_483_647).default(1).describe('Seed of every random choice: the same seed gives the same model');
const features = z.array(column).min(1).max(50).describe('Numeric or boolean columns used as inputs');
const idColumn = column.optional().describe('Column that identifies a row in written tables (default: row_number, 1-based)');

const source = {
  dataset: tableName.optional().describe('Dataset table (schema main) to read the rows from'),
  data: z.array(z.record(z.string(), z.unknown())).min(1).max(50_000).optional().describe('Inline rows (objects), instead of dataset'),
};
const training = { ...source, name: z.string().trim().min(1).max(200).optional().describe('Label of the stored model') };

const forecast = z.strictObject({
  kind: z.literal('forecast'),
  ...training,
  timeColumn: column.describe('Date, timestamp or number giving each row\'s time; steps must be even'),
  targetColumn: column.describe('Numeric column to forecast'),
  horizon: z.number().int().min(1).max(365).default(30).describe('Steps to forecast'),
  confidence: z.number().min(0.5).max(0.99).default(0.95).describe('Coverage of the prediction intervals'),
  seasonLength: z.number().int().min(2).max(400).optional().describe('Steps per season; omitted: suggested by the spacing (12 for months, 7 for days…) and kept if it forecasts the holdout better'),
});

const classify = z.strictObject({
  kind: z.literal('classify'),
  ...training,
  targetColumn: column.describe('Boolean or 0/1 label'),
  features,
  testFraction: z.number().min(0.1).max(0.5).default(0.25).describe('Share of rows held out (stratified) for the metrics'),
  seed,
  idColumn,
  scoreDataset: tableName.optional().describe('Write [id, probability, predicted] for all rows to this dataset table (replaced if it exists)'),
  featureGroups: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be a group name (letters, digits, _ -)'), z.array(column).min(1).max(50))
    .optional()
    .describe('Named groups of features whose importance is measured jointly, e.g. {"inactivity": ["days_since_last_active", "sessions_30d"]}'),
});

const cluster = z.strictObject({
  kind: z.literal('cluster'),
  ...training,
  features,
  clusters: z.number().int().min(2).max(50).optional().describe('k; omitted: the k in 2..8 with the best mean silhouette'),
  seed,
  idColumn,
  assignDataset: tableName.optional().describe('Write [id, cluster, distance] for all rows to this dataset table (replaced if it exists)'),
});

const anomaly = z.strictObject({
  kind: z.literal('anomaly'),
  ...training,
  metric: column.describe('Numeric column to watch'),
  timeColumn: column.optional().describe('Orders the rows (default: their order in the source)'),
  sensitivity: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.95)
    .describe('Pure noise of this length raises any false alarm with probability ≈ 1 − sensitivity (higher → fewer, surer anomalies)'),
});

const predict = z.strictObject({
  kind: z.literal('predict'),
  modelId: z.string().regex(/^mdl_[0-9a-f-]{36}$/, 'must be a model id (mdl_<uuid>)'),
  ...source,
  idColumn,
  scoreDataset: tableName.optional().describe('Write the predictions for all rows to this dataset table (replaced if it exists)'),
});

export const mlModelParams = z.discriminatedUnion('kind', [forecast, classify, cluster, anomaly, predict]).superRefine((p, ctx) => {
  if ((p.dataset === undefined) === (p.data === undefined)) {
    ctx.addIssue({ code: 'custom', path: [p.dataset === undefined ? 'data' : 'dataset'], message: 'give exactly one of dataset or data' });
  }
  if ('features' in p) {
    const seen = new Set<string>();
    p.features.forEach((f, i) => {
      if (seen.has(f)) ctx.addIssue({ code: 'custom', path: ['features', i], message: `"${f}" is listed twice` });
      // The label as an input would make a perfect, useless model.
      if (p.kind === 'classify' && f === p.targetColumn) ctx.addIssue({ code: 'custom', path: ['features', i], message: 'is the targetColumn' });
      seen.add(f);
    });
  }
  const written = 'scoreDataset' in p ? p.scoreDataset : 'assignDataset' in p ? p.assignDataset : undefined;
  if (written !== undefined && written === p.dataset) {
    ctx.addIssue({ code: 'custom', path: [p.kind === 'cluster' ? 'assignDataset' : 'scoreDataset'], message: 'must differ from dataset (it would overwrite the rows being read)' });
  }
});

export type MlModelParams = z.output<typeof mlModelParams>;
export type ForecastParams = Extract<MlModelParams, { kind: 'forecast' }>;
export type ClassifyParams = Extract<MlModelParams, { kind: 'classify' }>;
export type ClusterParams = Extract<MlModelParams, { kind: 'cluster' }>;
export type AnomalyParams = Extract<MlModelParams, { kind: 'anomaly' }>;
export type PredictParams = Extract<MlModelParams, { kind: 'predict' }>;
