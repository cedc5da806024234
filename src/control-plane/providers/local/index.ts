import { ProviderHttp, type ProviderClientOptions } from '../http/provider-http';
import { OpenAiCompatibleProvider, type OpenAiDialect } from '../openai';

/**
 * A local server with an OpenAI-compatible API: Ollama (`http://localhost:11434`), llama.cpp's
 * `llama-server` (`:8080`) or vLLM (`:8000`). All three serve `/v1/chat/completions` and
 * `/v1/embeddings`, accept `max_tokens` and honour `stream_options.include_usage`.
 */
const LOCAL: OpenAiDialect = { name: 'local', maxTokensField: 'max_tokens', askStreamUsage: true };

export interface LocalProviderOptions extends Omit<ProviderClientOptions, 'apiKey' | 'baseUrl'> {
  baseUrl: string;
  /** Only when the server was started with a key (vLLM `--api-key`, llama.cpp `--api-key`). */
  apiKey?: string;
}

export function createLocalProvider(options: LocalProviderOptions): OpenAiCompatibleProvider {
  const http = new ProviderHttp({
    provider: 'local',
    baseUrl: options.baseUrl,
    headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {},
    secrets: options.apiKey ? [options.apiKey] : [],
    defaultTimeoutMs: options.defaultTimeoutMs,
    http: options.http,
  });
  return new OpenAiCompatibleProvider(LOCAL, http);
}
