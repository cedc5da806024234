import { z } from 'zod';
import { AppError } from '../../../common/errors';
import { capability, type CapabilityContext } from '../types';

/**
 * DataScientist's churn analysis (blueprint §5 scenario 2): at-risk users, the top churn
 * factors with their measured weights, next month's churn rate with an interval. Every figure
 * comes from the DAWG's analytics module: a logistic model on the users table (held-out AUC,
 * permutation importance per factor group) and a forecast of the monthly churn series.
 */

/** Dataset prefix: tables <prefix>_users, <prefix>_activity, <prefix>_monthly (and <prefix>_scores written). */
export const churnPrefix = z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'must be a dataset prefix such as churn').default('churn');

/** Generate the seeded synthetic churn dataset first (analytics.generate-dataset), replacing tables of the same prefix. */
export const churnGenerate = z
  .strictObject({
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(42),
    users: z.number().int().min(100).max(50_000).default(5_000),
    asOf: z.iso.date().optional(),
  })
  .optional()
  .describe('Generate the seeded synthetic churn dataset first (replacing tables of the same prefix)');

/** Churn probability from which a user counts as at risk. */
export const churnThreshold = z.number().gt(0).lt(1).default(0.2).describe('Churn probability from which a user counts as at risk (default 0.2: about five times the generated base rate)');

/** The churn dataset's features (see the generator), grouped into the factors the answer names. */
export const CHURN_FACTOR_GROUPS = {
  inactivity: ['days_since_last_active', 'sessions_30d', 'minutes_30d'],
  pricing: ['monthly_price', 'price_increased'],
  competition: ['competitor_offer'],
  support: ['support_tickets'],
  tenure: ['tenure_days'],
} as const;
const FEATURES = Object.values(CHURN_FACTOR_GROUPS).flat();

export const predictChurnPayload = z.strictObject({
  prefix: churnPrefix,
  generate: churnGenerate,
  threshold: churnThreshold,
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(1).describe('Seed of the train/test split and of the permutation importance'),
});

interface ClassifyAnswer {
  modelId: string;
  metrics: { auc: number; precision: number; recall: number; accuracy?: number; baseRate?: number; testRows?: number };
  /** Permutation importance on held-out rows per factor group, largest first; shares sum to 1. */
  importance?: Array<{ name: string; features: string[]; share: number; aucDrop: number }>;
}
interface ForecastAnswer {
  modelId: string;
  method?: string;
  forecast: Array<{ t: string; yhat: number; lower: number; upper: number }>;
}

const pct = (x: number) => Math.round(x * 1000) / 10;

/** A result field the analytics module must return; a missing one is a contract break, reported as such. */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null) throw new AppError(502, 'UNEXPECTED_MODULE_ANSWER', `The analytics module answered without ${what}`);
  return value;
}

async function atRiskCount(ctx: CapabilityContext, scores: string, threshold: number): Promise<{ atRisk: number; scored: number; meanProbability: number }> {
  const answer = (await ctx.call('analytics', 'query', {
    source: 'analytics',
    sql: `SELECT count(*) FILTER (WHERE probability >= $1) AS at_risk, count(*) AS scored, avg(probability) AS mean_probability FROM "${scores}"`,
    params: [threshold],
    maxRows: 1,
  })) as { rows: Array<{ at_risk: number; scored: number; mean_probability: number }> };
  const row = required(answer.rows[0], 'the at-risk count');
  return { atRisk: Number(row.at_risk), scored: Number(row.scored), meanProbability: Number(row.mean_probability) };
}

/** A missing table without `generate`: says how to get one (the first thing a new install runs into). */
async function withLoadHint<T>(p: { prefix: string; generate?: unknown }, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (p.generate || !(err instanceof AppError) || err.code !== 'DATASET_NOT_FOUND') throw err;
    throw new AppError(
      err.status,
      err.code,
      `${err.message}: load the ${p.prefix}_users, ${p.prefix}_activity and ${p.prefix}_monthly tables first, or pass "generate": {"seed": 42, "users": 5000} to create synthetic ones`,
      err.details,
    );
  }
}

export const predictChurn = capability({
  name: 'predict-churn',
  description: 'Find at-risk users, weigh the churn factors and predict next month’s churn rate',
  requiredModules: ['analytics'],
  estimatedDuration: 30,
  timeoutMs: 300_000,
  // Reads data and writes only its own score table and model: safe to run again.
  resumable: true,
  payload: predictChurnPayload,
  async run(p, ctx) {
    const users = `${p.prefix}_users`;
    const scores = `${p.prefix}_scores`;
    if (p.generate) {
      ctx.progress(5, 'Generating the synthetic churn dataset');
      await ctx.call('analytics', 'generate-dataset', { kind: 'churn', prefix: p.prefix, seed: p.generate.seed, users: p.generate.users, ...(p.generate.asOf ? { asOf: p.generate.asOf } : {}) });
    }
    ctx.progress(20, 'Training the churn model');
    const model = (await withLoadHint(p, ctx.call('analytics', 'ml-model', {
      kind: 'classify',
      dataset: users,
      name: `${p.prefix}-churn`,
      targetColumn: 'churned',
      features: FEATURES,
      featureGroups: CHURN_FACTOR_GROUPS,
      idColumn: 'user_id',
      scoreDataset: scores,
      seed: p.seed,
    }))) as ClassifyAnswer;
    ctx.progress(60, 'Counting at-risk users');
    const risk = await atRiskCount(ctx, scores, p.threshold);
    ctx.progress(75, 'Forecasting next month’s churn rate');
    const forecast = (await withLoadHint(p, ctx.call('analytics', 'ml-model', {
      kind: 'forecast',
      dataset: `${p.prefix}_monthly`,
      name: `${p.prefix}-monthly-churn`,
      timeColumn: 'month',
      targetColumn: 'churn_rate',
      horizon: 1,
      confidence: 0.95,
    }))) as ForecastAnswer;
    const next = required(forecast.forecast[0], 'a forecast point');
    const topFactors = required(model.importance, 'factor weights')
      .map((f) => ({ factor: f.name, weight: f.share, percent: pct(f.share), aucDrop: f.aucDrop, features: f.features }))
      .sort((a, b) => b.weight - a.weight);
    const halfWidth = (next.upper - next.lower) / 2;
    return {
      atRiskUsers: risk.atRisk,
      scoredUsers: risk.scored,
      threshold: p.threshold,
      meanChurnProbability: risk.meanProbability,
      scoreDataset: scores,
      topFactors,
      model: { modelId: model.modelId, auc: model.metrics.auc, precision: model.metrics.precision, recall: model.metrics.recall, accuracy: model.metrics.accuracy, baseRate: model.metrics.baseRate, testRows: model.metrics.testRows },
      nextMonthChurn: { month: next.t, rate: next.yhat, lower: next.lower, upper: next.upper, confidence: 0.95, modelId: forecast.modelId, method: forecast.method },
      summary: [
        `Detected ${risk.atRisk.toLocaleString('en-US')} at-risk users (churn probability ≥ ${p.threshold}) of ${risk.scored.toLocaleString('en-US')}`,
        `Top churn factors: ${topFactors.slice(0, 3).map((f) => `${f.factor} (${f.percent}%)`).join(', ')} — held-out AUC ${model.metrics.auc.toFixed(3)}`,
        `Predicted churn rate (${next.t.slice(0, 7)}): ${pct(next.yhat)}% ± ${pct(halfWidth)}% (95% interval)`,
      ],
    };
  },
});
