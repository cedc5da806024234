import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../../../common/errors';
import type { AnalyticsStore } from '../analytics-store';

/*
 * Fitted models, persisted in jarvis.ml_models so `predict` works after a restart. Parameters
 * and metrics are JSON text: JSON.stringify round-trips doubles exactly, so a reloaded model
 * scores bit-for-bit as it did when trained.
 */

export type ModelKind = 'forecast' | 'classify' | 'cluster' | 'anomaly';

export interface StoredModel<P = unknown> {
  id: string;
  name: string | null;
  kind: ModelKind;
  createdAt: string;
  /** Dataset the model was trained on, or 'inline'. */
  source: string;
  features: string[];
  target: string | null;
  params: P;
  metrics: unknown;
}

interface ModelRow {
  id: string;
  name: string | null;
  kind: ModelKind;
  created_at: string;
  source: string;
  features: string;
  target: string | null;
  params: string;
  metrics: string;
}

export class MlModelStore {
  private ready: Promise<void> | undefined;

  constructor(private readonly store: AnalyticsStore) {}

  private ensureTable(): Promise<void> {
    this.ready ??= this.store
      .run(
        `CREATE TABLE IF NOT EXISTS jarvis.ml_models (
          id VARCHAR PRIMARY KEY, name VARCHAR, kind VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
          source VARCHAR NOT NULL, features VARCHAR NOT NULL, target VARCHAR, params VARCHAR NOT NULL, metrics VARCHAR NOT NULL)`,
      )
      .catch((err: unknown) => {
        // Let the next call try again rather than remembering a failure forever.
        this.ready = undefined;
        throw err;
      });
    return this.ready;
  }

  async save<P>(model: Omit<StoredModel<P>, 'id' | 'createdAt'>): Promise<StoredModel<P>> {
    await this.ensureTable();
    const saved: StoredModel<P> = { ...model, id: `mdl_${randomUUID()}`, createdAt: new Date().toISOString() };
    await this.store.run('INSERT INTO jarvis.ml_models VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      saved.id,
      saved.name,
      saved.kind,
      saved.createdAt,
      saved.source,
      JSON.stringify(saved.features),
      saved.target,
      JSON.stringify(saved.params),
      JSON.stringify(saved.metrics),
    ]);
    return saved;
  }

  /** The model, or a 404 naming params.modelId. */
  async get(id: string): Promise<StoredModel> {
    await this.ensureTable();
    const [row] = await this.store.all<ModelRow>('SELECT * FROM jarvis.ml_models WHERE id = ?', [id]);
    if (!row) throw new NotFoundError(`Model "${id}" not found`, { field: 'params.modelId' }, 'MODEL_NOT_FOUND');
    return {
      id: row.id,
      name: row.name,
      kind: row.kind,
      createdAt: row.created_at,
      source: row.source,
      features: JSON.parse(row.features) as string[],
      target: row.target,
      params: JSON.parse(row.params) as unknown,
      metrics: JSON.parse(row.metrics) as unknown,
    };
  }
}
