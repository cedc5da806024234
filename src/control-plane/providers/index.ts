// Public API of the language-model providers. Everything exported here is relied on by the
// router and the composition root: named exports only.

export {
  PROVIDER_NAMES,
  ProviderError,
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatRole,
  type ChatStreamEvent,
  type EmbeddingProvider,
  type EmbeddingRequest,
  type EmbeddingResult,
  type ProviderErrorKind,
  type ProviderName,
  type RetrievalProvider,
  type RetrievalRequest,
  type RetrievalResult,
  type RetrievedNode,
  type TokenUsage,
} from './provider-types';
export {
  ProvidersConfigSchema,
  createProviderRegistry,
  type ProviderRegistry,
  type ProviderRegistryDeps,
  type ProvidersConfig,
} from './provider-registry';
export { DEFAULT_PROVIDER_TIMEOUT_MS, type ProviderClientOptions } from './http/provider-http';
export { OPENAI_DEFAULT_BASE_URL, createOpenAiProvider, OpenAiCompatibleProvider } from './openai';
export { MISTRAL_DEFAULT_BASE_URL, createMistralProvider } from './mistral';
export { createLocalProvider, type LocalProviderOptions } from './local';
export {
  ANTHROPIC_DEFAULT_BASE_URL,
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_VERSION,
  AnthropicProvider,
  createAnthropicProvider,
  type AnthropicProviderOptions,
} from './anthropic';
export { GOOGLE_DEFAULT_BASE_URL, GeminiProvider, createGeminiProvider } from './google';
export { LLAMACLOUD_DEFAULT_BASE_URL, LlamaCloudRetriever, createLlamaCloudRetriever, type LlamaCloudOptions } from './llamaindex';
export {
  OFFLINE_CHAT_MODEL,
  OFFLINE_DEFAULT_DIMENSIONS,
  OFFLINE_EMBEDDING_MODEL,
  OFFLINE_MARKER,
  OfflineProvider,
  hashEmbedding,
  type OfflineProviderOptions,
} from './offline';
