import { ProviderHttp, type ProviderClientOptions } from '../http/provider-http';
import { AnthropicProvider } from './anthropic-provider';

export { AnthropicProvider } from './anthropic-provider';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** The API version header value the client is written against. */
export const ANTHROPIC_VERSION = '2023-06-01';
/** `max_tokens` is required by the Messages API; used when a request sets no maxOutputTokens. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

export interface AnthropicProviderOptions extends ProviderClientOptions {
  defaultMaxTokens?: number;
}

export function createAnthropicProvider(options: AnthropicProviderOptions): AnthropicProvider {
  const http = new ProviderHttp({
    provider: 'anthropic',
    baseUrl: options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL,
    headers: { 'x-api-key': options.apiKey, 'anthropic-version': ANTHROPIC_VERSION },
    secrets: [options.apiKey],
    defaultTimeoutMs: options.defaultTimeoutMs,
    http: options.http,
  });
  return new AnthropicProvider(http, options.defaultMaxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS);
}
