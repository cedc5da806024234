/**
 * `npm run bench:analytics`: what the analytics modules cost on this machine, through the
 * same ModuleRegistry path /api/v1/execute uses (validation included), in one process on an
 * in-memory DuckDB store:
 *
 *   1. generate-dataset: the churn dataset (users, ~190k activity rows, 36 months) generated and loaded;
 *   2. query: three read-only statements over churn_activity (p50/p95 of BENCH_ANALYTICS_QUERIES runs each);
 *   3. describe of churn_users; ml-model classify (with permutation importance), forecast, cluster;
 *   4. engagement.score-users, marketing.segment-audience, dashboard (3 charts over 1,000 rows).
 *
 * Prints figures only (issue 10 sets no targets); exits 0.
 * Knobs: BENCH_ANALYTICS_USERS (5000), BENCH_ANALYTICS_QUERIES (50).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../src/common/logger';
import { registerDataModules } from '../src/dawg/modules/data-modules';
import { ModuleRegistry, type ActionContext } from '../src/dawg/sdk';
import { percentile } from './support';

const intEnv = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
};

const QUERIES = {
  'events per type': 'SELECT event, count(*) AS n, sum(minutes) AS minutes FROM churn_activity GROUP BY event',
  'daily active users': "SELECT date_trunc('day', ts) AS day, count(DISTINCT user_id) AS dau FROM churn_activity GROUP BY 1 ORDER BY 1",
  'users × last activity (join)': 'SELECT u.plan, avg(a.last_ts - u.signup_date) AS age FROM churn_users u JOIN (SELECT user_id, max(ts) AS last_ts FROM churn_activity GROUP BY 1) a USING (user_id) GROUP BY 1',
};

async function main(): Promise<void> {
  const users = intEnv('BENCH_ANALYTICS_USERS', 5_000);
  const runs = intEnv('BENCH_ANALYTICS_QUERIES', 50);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-analytics-'));
  const logger = createLogger({ level: 'error', service: 'bench', silent: true });
  const registry = new ModuleRegistry();
  const data = await registerDataModules({ dataDir: dir, databaseFile: ':memory:', registry, logger });
  const ctx = (): ActionContext => ({ requestId: 'bench', signal: new AbortController().signal, logger });
  const exec = async (module: string, action: string, params: Record<string, unknown>) => (await registry.execute({ module, action, params }, ctx())).result as Record<string, unknown>;
  const timed = async (label: string, module: string, action: string, params: Record<string, unknown>) => {
    const started = performance.now();
    const result = await exec(module, action, params);
    console.log(`${label.padEnd(44)} ${(performance.now() - started).toFixed(0).padStart(7)} ms`);
    return result;
  };

  try {
    console.log(`analytics bench: ${users} users, ${os.cpus().length} CPUs, Node ${process.version}\n`);
    const generated = await timed('generate-dataset (churn)', 'analytics', 'generate-dataset', { kind: 'churn', users });
    console.log(`  tables: ${JSON.stringify(generated.tables)}\n`);

    console.log(`query (${runs} runs each)                          p50       p95`);
    for (const [label, sql] of Object.entries(QUERIES)) {
      const times = new Float64Array(runs);
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await exec('analytics', 'query', { sql, maxRows: 1_000 });
        times[i] = performance.now() - started;
      }
      times.sort();
      console.log(`  ${label.padEnd(42)} ${percentile(times, 50).toFixed(1).padStart(7)} ms ${percentile(times, 95).toFixed(1).padStart(7)} ms`);
    }
    console.log('');
    await timed('describe churn_users', 'analytics', 'describe', { dataset: 'churn_users' });
    const features = ['days_since_last_active', 'sessions_30d', 'minutes_30d', 'monthly_price', 'price_increased', 'competitor_offer', 'support_tickets', 'tenure_days'];
    const model = await timed('ml-model classify (+ importance, scores)', 'analytics', 'ml-model', {
      kind: 'classify', dataset: 'churn_users', targetColumn: 'churned', features, idColumn: 'user_id', scoreDataset: 'churn_scores',
      featureGroups: { inactivity: features.slice(0, 3), pricing: features.slice(3, 5) },
    });
    console.log(`  held-out AUC ${(model.metrics as { auc: number }).auc.toFixed(3)}`);
    await timed('ml-model forecast (36 months, horizon 3)', 'analytics', 'ml-model', { kind: 'forecast', dataset: 'churn_monthly', timeColumn: 'month', targetColumn: 'churn_rate', horizon: 3 });
    await timed('ml-model cluster (k chosen in 2..8)', 'analytics', 'ml-model', { kind: 'cluster', dataset: 'churn_users', features: ['sessions_30d', 'minutes_30d', 'days_since_last_active'] });
    await timed('engagement score-users', 'engagement', 'score-users', {});
    await timed('marketing segment-audience (scores ≥ 0.2)', 'marketing', 'segment-audience', { goal: 'win back', scoresDataset: 'churn_scores', minProbability: 0.2 });
    await timed('dashboard (3 charts, 1,000 rows)', 'analytics', 'dashboard', {
      title: 'Bench',
      query: { sql: 'SELECT user_id, sessions_30d, minutes_30d, plan FROM churn_users LIMIT 1000' },
      charts: [{ type: 'scatter', x: 'sessions_30d', y: 'minutes_30d' }, { type: 'bar', x: 'plan', y: 'minutes_30d' }, { type: 'histogram', x: 'minutes_30d' }],
    });
    const memory = process.memoryUsage();
    console.log(`\nRSS ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    data.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
