import { z } from 'zod';

/** pgvector's `vector` type holds at most 16,000 dimensions; the migration's CHECK agrees. */
export const MAX_DIMENSIONS = 16_000;
/** hnsw.ef_search cannot exceed 1,000, and a recall window larger than that is not a recall. */
export const MAX_K = 1_000;

const id = z.string().min(1).max(200);
const scopeId = z.string().min(1).max(200);
const embedding = z.array(z.number()).min(1).max(MAX_DIMENSIONS);
/** `<provider>/<model>` as the embedding service names it, e.g. `openai/text-embedding-3-small`. */
const model = z.string().min(1).max(200);
const dimensions = z.number().int().min(1).max(MAX_DIMENSIONS);

export const memoryVectorInputSchema = z.strictObject({
  id,
  content: z.string().max(1_000_000),
  embedding,
  model,
  /** When given, must equal the embedding's length (a guard against mixing up models). */
  dimensions: dimensions.optional(),
  type: z.string().min(1).max(64).default('note'),
  userId: scopeId.nullish(),
  sessionId: scopeId.nullish(),
  agent: scopeId.nullish(),
  projectId: scopeId.nullish(),
  metadata: z.record(z.string(), z.unknown()).default({}),
  /** Backfills and imports keep their original time; new memories take now(). */
  createdAt: z.date().optional(),
});
export type MemoryVectorInput = z.input<typeof memoryVectorInputSchema>;
export type MemoryVectorRow = z.output<typeof memoryVectorInputSchema>;

export const memoryFilterSchema = z.strictObject({
  type: z.string().min(1).max(64).optional(),
  userId: scopeId.optional(),
  sessionId: scopeId.optional(),
  agent: scopeId.optional(),
  projectId: scopeId.optional(),
  /** Exclusive bounds on created_at. */
  createdAfter: z.date().optional(),
  createdBefore: z.date().optional(),
});
export type MemoryFilter = z.output<typeof memoryFilterSchema>;

export const vectorSearchSchema = z.strictObject({
  embedding,
  model,
  dimensions: dimensions.optional(),
  k: z.number().int().min(1).max(MAX_K).default(10),
  filter: memoryFilterSchema.default({}),
});
export type VectorSearchOptions = Omit<z.input<typeof vectorSearchSchema>, 'embedding'>;
export type VectorSearch = z.output<typeof vectorSearchSchema>;

/** A stored memory without its vector (search results leave it out: it is large and rarely needed). */
export interface MemoryRecord {
  id: string;
  type: string;
  content: string;
  contentHash: string;
  userId: string | null;
  sessionId: string | null;
  agent: string | null;
  projectId: string | null;
  metadata: Record<string, unknown>;
  embeddingModel: string;
  dimensions: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemoryWithEmbedding extends MemoryRecord {
  embedding: number[];
}

export interface MemoryHit extends MemoryRecord {
  /** Cosine similarity to the query, in [-1, 1]; higher is closer. */
  score: number;
}
