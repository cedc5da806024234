import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { createAnthropicProvider } from './anthropic';
import { createGeminiProvider } from './google';
import { createLlamaCloudRetriever } from './llamaindex';
import { createLocalProvider } from './local';
import { createMistralProvider } from './mistral';
import { OfflineProvider } from './offline';
import { createOpenAiProvider } from './openai';
import type { ChatProvider, EmbeddingProvider, ProviderName, RetrievalProvider } from './provider-types';

const httpUrl = z.url({ protocol: /^https?$/ });
const apiKey = z.string().min(1);
const hosted = z.strictObject({ apiKey, baseUrl: httpUrl.optional() });

/**
 * The providers' configuration slice. A provider is built only when its section is present;
 * the offline provider is always built. Base URLs default to the public APIs.
 */
export const ProvidersConfigSchema = z.strictObject({
  openai: hosted.optional(),
  anthropic: hosted.extend({ defaultMaxTokens: z.number().int().positive().max(1_000_000).optional() }).optional(),
  google: hosted.optional(),
  mistral: hosted.optional(),
  local: z.strictObject({ baseUrl: httpUrl, apiKey: apiKey.optional() }).optional(),
  llamaindex: hosted.extend({ pipelineId: z.string().min(1) }).optional(),
  offline: z.strictObject({ embeddingDimensions: z.number().int().positive().max(16_000).optional() }).optional(),
  /** Per-attempt timeout when a request names none (default 60 s). */
  defaultTimeoutMs: z.number().int().positive().max(600_000).optional(),
});
export type ProvidersConfig = z.output<typeof ProvidersConfigSchema>;

export interface ProviderRegistry {
  /** Chat providers by name; always contains `offline`. */
  readonly chat: ReadonlyMap<ProviderName, ChatProvider>;
  /** Embedding providers by name (Anthropic has no embeddings API); always contains `offline`. */
  readonly embedding: ReadonlyMap<ProviderName, EmbeddingProvider>;
  /** LlamaCloud retrieval when configured. */
  readonly retrieval: RetrievalProvider | undefined;
  /** The configured network providers, without `offline`. */
  readonly configured: readonly ProviderName[];
}

export interface ProviderRegistryDeps {
  /** One axios instance for every client (tests, a shared keep-alive agent); default: one each. */
  http?: AxiosInstance;
}

/** Builds the configured providers plus offline. Makes no network call. */
export function createProviderRegistry(config: ProvidersConfig, deps: ProviderRegistryDeps = {}): ProviderRegistry {
  const common = { defaultTimeoutMs: config.defaultTimeoutMs, http: deps.http };
  const chat = new Map<ProviderName, ChatProvider>();
  const embedding = new Map<ProviderName, EmbeddingProvider>();
  const both = (provider: ChatProvider & EmbeddingProvider) => {
    chat.set(provider.name, provider);
    embedding.set(provider.name, provider);
  };
  if (config.openai) both(createOpenAiProvider({ ...config.openai, ...common }));
  if (config.anthropic) {
    const anthropic = createAnthropicProvider({ ...config.anthropic, ...common });
    chat.set(anthropic.name, anthropic);
  }
  if (config.google) both(createGeminiProvider({ ...config.google, ...common }));
  if (config.mistral) both(createMistralProvider({ ...config.mistral, ...common }));
  if (config.local) both(createLocalProvider({ ...config.local, ...common }));
  const configured = [...chat.keys()];
  both(new OfflineProvider(config.offline));
  const retrieval = config.llamaindex ? createLlamaCloudRetriever({ ...config.llamaindex, ...common }) : undefined;
  return { chat, embedding, retrieval, configured: retrieval ? [...configured, retrieval.name] : configured };
}
