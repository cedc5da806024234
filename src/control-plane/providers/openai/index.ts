import { ProviderHttp, type ProviderClientOptions } from '../http/provider-http';
import { OpenAiCompatibleProvider, type OpenAiDialect } from './openai-compatible-provider';

export { OpenAiCompatibleProvider, type OpenAiDialect } from './openai-compatible-provider';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com';

const OPENAI: OpenAiDialect = { name: 'openai', maxTokensField: 'max_completion_tokens', askStreamUsage: true };

/** OpenAI Chat Completions + Embeddings, Bearer auth. */
export function createOpenAiProvider(options: ProviderClientOptions): OpenAiCompatibleProvider {
  const http = new ProviderHttp({
    provider: 'openai',
    baseUrl: options.baseUrl ?? OPENAI_DEFAULT_BASE_URL,
    headers: { authorization: `Bearer ${options.apiKey}` },
    secrets: [options.apiKey],
    defaultTimeoutMs: options.defaultTimeoutMs,
    http: options.http,
  });
  return new OpenAiCompatibleProvider(OPENAI, http);
}
