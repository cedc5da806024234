import type { AnalyticsStore } from '../analytics-store';
import { defineAction, type ActionContext } from '../../../sdk';
import { readSource, type NeededColumn, type SourceRows } from './dataset-source';
import { mlModelParams, type AnomalyParams, type ClassifyParams, type ClusterParams, type ForecastParams } from './ml-model.schema';
import { MlModelStore } from './model-store';
import { predictWithModel } from './predict';
import { rowKey, writeKeyedTable } from './score-tables';
import { AnalyticsCompute } from '../compute';
import type { Trained, TrainParams } from './fit';

type Result<K extends Trained['kind']> = Extract<Trained, { kind: K }>['result'];

const features = (list: readonly string[]): NeededColumn[] => list.map((column, j) => ({ field: `params.features.${j}`, column }));
const optional = (field: string, column: string | undefined): NeededColumn[] => (column === undefined ? [] : [{ field, column }]);

function neededColumns(p: TrainParams): NeededColumn[] {
  switch (p.kind) {
    case 'forecast':
      return [{ field: 'params.timeColumn', column: p.timeColumn }, { field: 'params.targetColumn', column: p.targetColumn }];
    case 'classify':
      return [{ field: 'params.targetColumn', column: p.targetColumn }, ...features(p.features), ...optional('params.idColumn', p.idColumn)];
    case 'cluster':
      return [...features(p.features), ...optional('params.idColumn', p.idColumn)];
    case 'anomaly':
      return [{ field: 'params.metric', column: p.metric }, ...optional('params.timeColumn', p.timeColumn)];
  }
}

async function classify(store: AnalyticsStore, src: SourceRows, p: ClassifyParams, trained: Result<'classify'>) {
  const written = { probability: 'DOUBLE', predicted: 'BOOLEAN' } as const;
  const key = rowKey(src, p.idColumn, Object.keys(written));
  const values = trained.probabilities.map((probability) => ({ probability, predicted: probability >= trained.model.threshold }));
  const scoreDataset = p.scoreDataset ? await writeKeyedTable(store, p.scoreDataset, key, written, values) : undefined;
  const { probabilities: _all, model, ...answer } = trained;
  return { model, stored: { features: p.features, target: p.targetColumn }, answer: { ...answer, ...(scoreDataset ? { scoreDataset } : {}) } };
}

async function cluster(store: AnalyticsStore, src: SourceRows, p: ClusterParams, trained: Result<'cluster'>) {
  const written = { cluster: 'INTEGER', distance: 'DOUBLE' } as const;
  const key = rowKey(src, p.idColumn, Object.keys(written));
  const assignDataset = p.assignDataset ? await writeKeyedTable(store, p.assignDataset, key, written, trained.assignments) : undefined;
  const { assignments: _all, model, ...answer } = trained;
  return { model, stored: { features: p.features, target: null }, answer: { ...answer, ...(assignDataset ? { assignDataset } : {}) } };
}

function forecast(p: ForecastParams, trained: Result<'forecast'>) {
  const { model, ...answer } = trained;
  return { model, stored: { features: [p.timeColumn], target: p.targetColumn }, answer };
}

function anomaly(p: AnomalyParams, trained: Result<'anomaly'>) {
  const { model, ...answer } = trained;
  return { model, stored: { features: p.timeColumn ? [p.timeColumn] : [], target: p.metric }, answer };
}

/** The answer for what was fitted: scores or assignments written where asked, the model to store. */
function fittedModel(store: AnalyticsStore, src: SourceRows, p: TrainParams, trained: Trained) {
  // The worker fits what it was asked for: the kinds match.
  if (p.kind === 'classify' && trained.kind === 'classify') return classify(store, src, p, trained.result);
  if (p.kind === 'cluster' && trained.kind === 'cluster') return cluster(store, src, p, trained.result);
  if (p.kind === 'forecast' && trained.kind === 'forecast') return forecast(p, trained.result);
  if (p.kind === 'anomaly' && trained.kind === 'anomaly') return anomaly(p, trained.result);
  throw new Error(`asked for a ${p.kind} model, the trainer fitted a ${trained.kind} model`);
}

async function train(store: AnalyticsStore, models: MlModelStore, compute: AnalyticsCompute, p: TrainParams, ctx: ActionContext) {
  const src = await readSource(store, p, neededColumns(p));
  ctx.signal.throwIfAborted();
  const fitted = await fittedModel(store, src, p, await compute.fit(src.rows, p, src.sourceField, ctx.signal));
  ctx.signal.throwIfAborted();
  const saved = await models.save({
    name: p.name ?? null,
    kind: p.kind,
    source: src.source,
    features: fitted.stored.features,
    target: fitted.stored.target,
    params: fitted.model,
    metrics: fitted.answer.metrics,
  });
  ctx.logger.info('ml model trained', { modelId: saved.id, kind: p.kind, rows: src.rows.length, source: src.source });
  return { modelId: saved.id, kind: p.kind, name: saved.name, source: src.source, rows: src.rows.length, ...fitted.answer };
}

/**
 * `analytics.ml-model`: trains a forecast, classifier, clustering or anomaly model on a
 * dataset (or inline rows), stores it in jarvis.ml_models and answers its metrics; `predict`
 * scores new rows with a stored model. The math lives in pure functions next to this file,
 * run on the analytics compute worker; this only reads rows, hands them over and writes results.
 */
export function createMlModelAction(store: AnalyticsStore, compute: AnalyticsCompute = new AnalyticsCompute()) {
  const models = new MlModelStore(store);
  return defineAction({
    description:
      'Train and store an ML model on a dataset or inline rows: forecast (Holt/Holt-Winters with widening intervals), classify (logistic regression with held-out AUC and permutation importance), cluster (k-means, k by silhouette), anomaly (robust z-scores); or predict with a stored model',
    params: mlModelParams,
    async handler(p, ctx) {
      return p.kind === 'predict' ? predictWithModel(store, models, p) : train(store, models, compute, p, ctx);
    },
  });
}
