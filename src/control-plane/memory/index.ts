// Public API of the memory layer: embeddings, the vector store, the graph store and conversations. Named exports only.

export { contentHash } from './content-hash';
export { type BatchLimits } from './batching';
export {
  EmbeddingDimensionError,
  EmbeddingService,
  MAX_TEXTS_PER_CALL,
  type Embeddings,
  type EmbeddingServiceDeps,
  type EmbeddingServiceOptions,
} from './embedding-service';
export { chooseEmbeddingModel, type EmbeddingModel } from './embedding-model';
export { HNSW_MAX_DIMENSIONS } from './hnsw-index';
export { cosine, normalize } from './vector-math';
export {
  MAX_UPSERT_ROWS,
  VectorStore,
  type VectorSearchStrategy,
  type VectorStoreDeps,
  type VectorStoreOptions,
} from './vector-store';
export {
  MAX_DIMENSIONS,
  MAX_K,
  memoryFilterSchema,
  type MemoryFilter,
  type MemoryHit,
  type MemoryRecord,
  type MemoryVectorInput,
  type MemoryWithEmbedding,
  type VectorSearchOptions,
} from './vector-store-schemas';
export {
  GraphStore,
  graphNodeId,
  GRAPH_NODE_KINDS,
  WORK_EDGE_TYPES,
  RecordWorkSchema,
  type GraphStoreOptions,
  type GraphNode,
  type GraphEdge,
  type GraphNeighbour,
  type GraphTraversal,
  type GraphPath,
  type GraphDirection,
  type RecordWorkInput,
} from './graph';
export { ConversationStore, MESSAGE_ROLES, NewMessageSchema, type ConversationStoreOptions, type ConversationMessage, type MessagePage, type NewMessage } from './conversations';
export { MemoryManager, rememberSchema, recallSchema, type RecallHit, type RememberInput, type RecallInput } from './memory-manager';
export { createMemoryLayer, type MemoryLayer } from './memory-layer';
