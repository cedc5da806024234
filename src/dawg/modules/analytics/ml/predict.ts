import { fieldError } from '../../../../common/validation';
import type { AnalyticsStore } from '../analytics-store';
import { featureMatrix, readSource } from './dataset-source';
import type { PredictParams } from './ml-model.schema';
import type { MlModelStore, StoredModel } from './model-store';
import { rowKey, writeKeyedTable } from './score-tables';
import { scoreClassifier, type ClassifierParams } from './train-classify';
import { assignClusters, type ClustererParams } from './train-cluster';

/** Predictions returned inline at most; all rows go to scoreDataset. */
export const MAX_INLINE_PREDICTIONS = 1_000;
const PREDICTABLE = ['classify', 'cluster'];

/** Scores rows with a stored model: classify → probability and label, cluster → nearest centroid. */
export async function predictWithModel(store: AnalyticsStore, models: MlModelStore, p: PredictParams) {
  const stored: StoredModel = await models.get(p.modelId);
  if (!PREDICTABLE.includes(stored.kind)) {
    throw fieldError('params.modelId', `is a ${stored.kind} model; predict supports ${PREDICTABLE.join(' and ')} models`);
  }
  // A feature the model was trained on but the rows lack is the rows' fault, so the source is named.
  const sourceField = p.dataset !== undefined ? 'params.dataset' : 'params.data';
  const needed = [...stored.features.map((f) => ({ field: sourceField, column: f })), ...(p.idColumn ? [{ field: 'params.idColumn', column: p.idColumn }] : [])];
  const src = await readSource(store, p, needed);
  const raw = featureMatrix(src.rows, stored.features, () => sourceField);
  const base = { modelId: stored.id, kind: 'predict' as const, modelKind: stored.kind, rows: src.rows.length };
  if (stored.kind === 'classify') {
    const params = stored.params as ClassifierParams;
    const probabilities = scoreClassifier(params, raw);
    const values = probabilities.map((probability) => ({ probability, predicted: probability >= params.threshold }));
    return finish(store, p, src, base, values, { probability: 'DOUBLE', predicted: 'BOOLEAN' }, {
      meanProbability: probabilities.reduce((a, b) => a + b, 0) / Math.max(1, probabilities.length),
      predictedPositive: values.filter((v) => v.predicted).length,
    });
  }
  const params = stored.params as ClustererParams;
  const values = assignClusters(params, raw);
  const sizes = new Array<number>(params.centroids.length).fill(0);
  for (const v of values) sizes[v.cluster]!++;
  return finish(store, p, src, base, values, { cluster: 'INTEGER', distance: 'DOUBLE' }, { sizes });
}

async function finish<V extends Record<string, unknown>>(
  store: AnalyticsStore,
  p: PredictParams,
  src: Awaited<ReturnType<typeof readSource>>,
  base: Record<string, unknown>,
  values: V[],
  columns: Parameters<typeof writeKeyedTable>[3],
  summary: Record<string, unknown>,
) {
  const key = rowKey(src, p.idColumn, Object.keys(columns));
  const predictions = values.slice(0, MAX_INLINE_PREDICTIONS).map((v, i) => ({ [key.column]: key.values[i], ...v }));
  const scoreDataset = p.scoreDataset ? await writeKeyedTable(store, p.scoreDataset, key, columns, values) : undefined;
  return { ...base, summary, predictions, truncated: values.length > MAX_INLINE_PREDICTIONS, ...(scoreDataset ? { scoreDataset } : {}) };
}
