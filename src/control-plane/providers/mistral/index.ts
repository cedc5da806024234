import { ProviderHttp, type ProviderClientOptions } from '../http/provider-http';
import { OpenAiCompatibleProvider, type OpenAiDialect } from '../openai';

export const MISTRAL_DEFAULT_BASE_URL = 'https://api.mistral.ai';

/**
 * Mistral's `/v1/chat/completions` and `/v1/embeddings` (`mistral-embed`) follow the OpenAI
 * format (https://docs.mistral.ai/api/), so the OpenAI client serves it with this dialect.
 */
const MISTRAL: OpenAiDialect = { name: 'mistral', maxTokensField: 'max_tokens', askStreamUsage: false };

export function createMistralProvider(options: ProviderClientOptions): OpenAiCompatibleProvider {
  const http = new ProviderHttp({
    provider: 'mistral',
    baseUrl: options.baseUrl ?? MISTRAL_DEFAULT_BASE_URL,
    headers: { authorization: `Bearer ${options.apiKey}` },
    secrets: [options.apiKey],
    defaultTimeoutMs: options.defaultTimeoutMs,
    http: options.http,
  });
  return new OpenAiCompatibleProvider(MISTRAL, http);
}
