import { z } from 'zod';
import { BaseAgent } from '../base-agent';
import { capability } from '../types';
import { predictChurn } from './churn-prediction';

/** Datasets and columns are referenced by name; the data stays in the DAWG's analytics store. */
const dataset = z.string().min(1).max(200).describe('Dataset name in the analytics store');
const column = z.string().min(1).max(128);

// All four only read data and compute over it (a retrained model replaces the previous
// result, nothing outside the DAWG changes), so all are safe to resume after a crash.

const analyzeDataset = capability({
  name: 'analyze-dataset',
  description: 'Perform exploratory data analysis',
  requiredModules: ['analytics'],
  estimatedDuration: 60,
  timeoutMs: 120_000,
  resumable: true,
  payload: z
    .object({
      dataset,
      /** Omitted: every column. */
      columns: z.array(column).min(1).max(200).optional(),
    })
    .strict(),
  async run(p, ctx) {
    const profile = await ctx.call('analytics', 'describe', {
      dataset: p.dataset,
      ...(p.columns ? { columns: p.columns } : {}),
    });
    return { dataset: p.dataset, profile };
  },
});

const buildForecastModel = capability({
  name: 'build-forecast-model',
  description: 'Build time-series forecasting model',
  requiredModules: ['analytics', 'automation'],
  estimatedDuration: 120,
  timeoutMs: 240_000,
  resumable: true,
  payload: z
    .object({
      dataset,
      targetColumn: column,
      timeColumn: column,
      horizon: z.number().int().min(1).max(365).default(30).describe('Periods to forecast'),
      confidence: z.number().min(0.5).max(0.99).default(0.95).describe('Coverage of the prediction intervals'),
    })
    .strict(),
  async run(p, ctx) {
    const model = await ctx.call('analytics', 'ml-model', {
      kind: 'forecast',
      dataset: p.dataset,
      targetColumn: p.targetColumn,
      timeColumn: p.timeColumn,
      horizon: p.horizon,
      confidence: p.confidence,
    });
    return { dataset: p.dataset, model };
  },
});

const segmentUsers = capability({
  name: 'segment-users',
  description: 'Perform user segmentation analysis',
  requiredModules: ['analytics', 'marketing'],
  estimatedDuration: 90,
  timeoutMs: 180_000,
  resumable: true,
  payload: z
    .object({
      dataset,
      features: z.array(column).min(1).max(50),
      /** Omitted: the DAWG chooses the number of clusters. */
      segments: z.number().int().min(2).max(50).optional(),
    })
    .strict(),
  async run(p, ctx) {
    const segmentation = await ctx.call('analytics', 'ml-model', {
      kind: 'cluster',
      dataset: p.dataset,
      features: p.features,
      ...(p.segments === undefined ? {} : { clusters: p.segments }),
    });
    return { dataset: p.dataset, segmentation };
  },
});

const detectAnomalies = capability({
  name: 'detect-anomalies',
  description: 'Detect anomalies in data streams',
  requiredModules: ['analytics'],
  estimatedDuration: 45,
  timeoutMs: 90_000,
  resumable: true,
  payload: z
    .object({
      dataset,
      metric: column,
      /** Omitted: the rows' order in the dataset, which a table does not guarantee. */
      timeColumn: column.optional().describe('Column that orders the rows in time'),
      sensitivity: z.number().gt(0).lt(1).default(0.95).describe('Pure noise of this length raises any false alarm with probability ≈ 1 − sensitivity (higher: fewer, surer anomalies)'),
    })
    .strict(),
  async run(p, ctx) {
    const anomalies = await ctx.call('analytics', 'ml-model', {
      kind: 'anomaly',
      dataset: p.dataset,
      metric: p.metric,
      ...(p.timeColumn === undefined ? {} : { timeColumn: p.timeColumn }),
      sensitivity: p.sensitivity,
    });
    return { dataset: p.dataset, anomalies };
  },
});

/** DataScientist's capabilities, in the order GET /api/v1/agents lists them (ChatGPT Actions reuse their payload schemas). */
export const DATA_SCIENTIST_CAPABILITIES = [analyzeDataset, buildForecastModel, segmentUsers, detectAnomalies, predictChurn] as const;

/** Data science over the DAWG's analytics module. */
export function createDataScientistAgent(): BaseAgent {
  return new BaseAgent('DataScientist', 'Explores datasets, builds forecasts, segments users and finds anomalies', [...DATA_SCIENTIST_CAPABILITIES]);
}
