import { ProviderHttp, type ProviderClientOptions } from '../http/provider-http';
import { LlamaCloudRetriever } from './llamacloud-retriever';

export { LlamaCloudRetriever } from './llamacloud-retriever';

export const LLAMACLOUD_DEFAULT_BASE_URL = 'https://api.cloud.llamaindex.ai';

export interface LlamaCloudOptions extends ProviderClientOptions {
  /** The managed index (pipeline) to search. */
  pipelineId: string;
}

/** LlamaCloud hosted retrieval, Bearer auth; an optional knowledge source, not a chat model. */
export function createLlamaCloudRetriever(options: LlamaCloudOptions): LlamaCloudRetriever {
  const http = new ProviderHttp({
    provider: 'llamaindex',
    baseUrl: options.baseUrl ?? LLAMACLOUD_DEFAULT_BASE_URL,
    headers: { authorization: `Bearer ${options.apiKey}` },
    secrets: [options.apiKey],
    defaultTimeoutMs: options.defaultTimeoutMs,
    http: options.http,
  });
  return new LlamaCloudRetriever(http, options.pipelineId);
}
