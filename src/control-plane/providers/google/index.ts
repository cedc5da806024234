import { ProviderHttp, type ProviderClientOptions } from '../http/provider-http';
import { GeminiProvider } from './gemini-provider';

export { GeminiProvider } from './gemini-provider';

export const GOOGLE_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/** Gemini API with the key in the `x-goog-api-key` header (never in the URL, where logs would keep it). */
export function createGeminiProvider(options: ProviderClientOptions): GeminiProvider {
  const http = new ProviderHttp({
    provider: 'google',
    baseUrl: options.baseUrl ?? GOOGLE_DEFAULT_BASE_URL,
    headers: { 'x-goog-api-key': options.apiKey },
    secrets: [options.apiKey],
    defaultTimeoutMs: options.defaultTimeoutMs,
    http: options.http,
  });
  return new GeminiProvider(http);
}
