import { z } from 'zod';
import { ConflictError } from '../../../../common/errors';
import { rm } from 'node:fs/promises';
import type { AnalyticsStore } from '../analytics-store';
import { AnalyticsCompute } from '../compute';
import { defineAction } from '../../../sdk';
import { CHURN_TABLES, churnTableColumns, type ChurnTable } from './churn-contract';

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), 'must be a real calendar date');

export const generateDatasetParams = z.strictObject({
  kind: z.literal('churn').describe('Which synthetic dataset: churn (users, their 90-day activity, 36 months of churn)'),
  seed: z.number().int().min(0).max(2_147_483_647).default(42).describe('Same seed, same rows'),
  users: z.number().int().min(100).max(50_000).default(5_000),
  // A fixed default rather than today, so a rerun next week still gives the same tables.
  asOf: isoDate.default('2026-11-01').describe('Day the snapshot is taken; activity covers the 90 days before it, churned the 30 after'),
  prefix: z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'must be a lower-case letter, then up to 30 lower-case letters, digits or _').default('churn'),
  replace: z.boolean().default(true).describe('Replace existing tables of the same names (false: 409 if any exists)'),
});

/**
 * `analytics.generate-dataset`: writes the seeded synthetic churn dataset as three tables
 * (`<prefix>_users`, `<prefix>_activity`, `<prefix>_monthly`), the material of the DataScientist
 * and marketing scenarios. The rows come from the pure generateChurnDataset, run with the files
 * written on the analytics compute worker (seconds at 50,000 users); the tables are then
 * loaded from those files.
 */
export function createGenerateDatasetAction(store: AnalyticsStore, compute: AnalyticsCompute = new AnalyticsCompute()) {
  return defineAction({
    description: 'Generate the seeded synthetic churn dataset (users with churn drivers and label, 90 days of activity, 36 months of churn rates) as dataset tables',
    params: generateDatasetParams,
    async handler(p, ctx) {
      const names = Object.fromEntries(CHURN_TABLES.map((t) => [t, `${p.prefix}_${t}`])) as Record<ChurnTable, string>;
      if (!p.replace) {
        const existing = (await store.datasets()).filter((d) => Object.values(names).includes(d));
        if (existing.length) throw new ConflictError(`Dataset tables already exist: ${existing.join(', ')}; pass replace: true or another prefix`, { field: 'params.prefix', existing });
      }
      const files = {} as Record<ChurnTable, string>;
      for (const t of CHURN_TABLES) files[t] = await store.tempFile('ndjson');
      let tables: Array<{ name: string; rows: number }>;
      try {
        const counts = await compute.churnDataset({ seed: p.seed, users: p.users, asOf: p.asOf }, files, ctx.signal);
        ctx.signal.throwIfAborted();
        for (const t of CHURN_TABLES) await store.tableFromNdjson(names[t], churnTableColumns[t], files[t], counts[t]);
        tables = CHURN_TABLES.map((t) => ({ name: names[t], rows: counts[t] }));
      } finally {
        await Promise.all(Object.values(files).map((f) => rm(f, { force: true })));
      }
      ctx.logger.info('synthetic dataset generated', { kind: p.kind, seed: p.seed, users: p.users, asOf: p.asOf, tables: tables.map((t) => t.name) });
      return { tables, seed: p.seed, asOf: p.asOf };
    },
  });
}
