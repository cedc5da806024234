import type { Db } from '../../common/db';
import type { Kv } from '../../common/kv';
import type { Logger } from '../../common/logger';
import type { CatalogModel } from '../ai-router';
import type { EmbeddingProvider, ProviderName } from '../providers';
import { ConversationStore } from './conversation-store';
import { EmbeddingService } from './embedding-service';
import { GraphStore } from './graph-store';
import { MemoryManager } from './memory-manager';
import { VectorStore } from './vector-store';

export interface MemoryLayer {
  manager: MemoryManager;
  vectors: VectorStore;
  embeddings: EmbeddingService;
  graph: GraphStore;
  conversations: ConversationStore;
}

export interface MemoryLayerDeps {
  db: Db;
  kv: Kv;
  logger: Logger;
  embeddingProviders: ReadonlyMap<ProviderName, EmbeddingProvider>;
  catalog: ReadonlyMap<string, CatalogModel>;
  /** VECTOR_DIMENSION: the offline embedder's size. */
  vectorDimension: number;
  /** MEMORY_EMBEDDING_MODEL: a catalog key; unset: the best embedding model of a configured provider, else offline. */
  embeddingModel?: string;
  /** MEMORY_EMBEDDING_CACHE_DAYS. */
  embeddingCacheDays?: number;
}

/** Builds the memory layer (ENABLE_MEMORY_LAYER) and makes sure its vector index exists. */
export async function createMemoryLayer(deps: MemoryLayerDeps): Promise<MemoryLayer> {
  const embeddings = new EmbeddingService({ db: deps.db, providers: deps.embeddingProviders, catalog: deps.catalog, logger: deps.logger }, { offlineDimensions: deps.vectorDimension, model: deps.embeddingModel, cacheDays: deps.embeddingCacheDays });
  const vectors = new VectorStore({ db: deps.db, logger: deps.logger });
  const indexed = await vectors.ensureIndex(embeddings.model.dimensions);
  // Statistics left from an earlier run persist; this covers rows written before they existed.
  await vectors.statistics.refresh();
  deps.logger.info('memory layer', { embeddingModel: embeddings.model.id, dimensions: embeddings.model.dimensions, search: deps.db.vector ? (indexed ? 'pgvector hnsw' : 'pgvector exact') : 'exact-scan fallback (no pgvector)' });
  const graph = new GraphStore(deps.db);
  const conversations = new ConversationStore({ db: deps.db, kv: deps.kv, logger: deps.logger });
  const manager = new MemoryManager({ db: deps.db, vectors, embeddings, graph, conversations });
  return { manager, vectors, embeddings, graph, conversations };
}
