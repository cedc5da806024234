export {
  OfflineProvider,
  OFFLINE_CHAT_MODEL,
  OFFLINE_EMBEDDING_MODEL,
  OFFLINE_DEFAULT_DIMENSIONS,
  type OfflineProviderOptions,
} from './offline-provider';
export { OFFLINE_MARKER } from './offline-digest';
export { hashEmbedding } from './offline-embedding';
