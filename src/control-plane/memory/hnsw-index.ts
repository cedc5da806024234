import type { Db } from '../../common/db';
import type { Logger } from '../../common/logger';

/** pgvector's HNSW indexes `vector` columns of at most 2,000 dimensions. */
export const HNSW_MAX_DIMENSIONS = 2_000;

export const hnswIndexName = (dimensions: number) => `memories_embedding_hnsw_${dimensions}`;

/** The expression the index is built on; queries must order by exactly this for the planner to use it. */
export const vectorExpression = (dimensions: number) => `(embedding::vector(${dimensions}))`;

/**
 * One partial HNSW index per dimension in use, created at run time because the migration must
 * also run where pgvector is missing, and because the column (`real[]`) has no fixed dimension:
 * `embedding::vector(d)` with `WHERE dimensions = d` indexes exactly the rows of that size.
 * Vectors above 2,000 dimensions get no index and are ranked by a sequential pgvector scan.
 */
export class HnswIndexes {
  private readonly done = new Map<number, Promise<boolean>>();

  constructor(
    private readonly db: Db,
    private readonly logger?: Logger,
  ) {}

  /** Idempotent and memoised per process; true when an index now exists for this dimension. */
  ensure(dimensions: number): Promise<boolean> {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new RangeError(`dimensions must be a positive integer, got ${dimensions}`);
    if (!this.db.vector || dimensions > HNSW_MAX_DIMENSIONS) return Promise.resolve(false);
    let created = this.done.get(dimensions);
    if (!created) {
      created = this.create(dimensions);
      this.done.set(dimensions, created);
      // A failure is not memoised: the next upsert tries again.
      created.catch(() => this.done.delete(dimensions));
    }
    return created;
  }

  private async create(dimensions: number): Promise<boolean> {
    const name = hnswIndexName(dimensions);
    try {
      await this.db.exec(
        `CREATE INDEX IF NOT EXISTS ${name} ON memories USING hnsw (${vectorExpression(dimensions)} vector_cosine_ops) WHERE dimensions = ${dimensions}`,
      );
    } catch (err) {
      // Two instances creating the same index at once: IF NOT EXISTS still races in the
      // catalog, and the loser sees a unique violation (23505) or "already exists" (42P07).
      const code = (err as { code?: string }).code;
      if (code !== '23505' && code !== '42P07') throw err;
    }
    this.logger?.info('memory vector index ready', { index: name, dimensions });
    return true;
  }
}
