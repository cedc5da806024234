import { z } from 'zod';
import type { ProviderHttp } from '../http/provider-http';
import type { RetrievalProvider, RetrievalRequest, RetrievalResult } from '../provider-types';

/**
 * LlamaCloud "Run Search": `POST /api/v1/pipelines/{pipeline_id}/retrieve`, as documented at
 * https://developers.llamaindex.ai/reference/python/resources/pipelines/methods/retrieve/
 * (body `query`, `dense_similarity_top_k`, …; answer `PipelineRetrieveResponse`).
 *
 * The documented top-k field is `dense_similarity_top_k` (1–100); there is no plain
 * `similarity_top_k` in the current reference. A node's metadata is documented as
 * `extra_info` ("a flat dictionary of metadata fields"); LlamaIndex serialises the same dict as
 * `metadata` in some versions, so both are read. `text` and `score` are optional in the schema.
 */
const RetrieveAnswerSchema = z.object({
  retrieval_nodes: z.array(
    z.object({
      node: z.object({
        text: z.string().nullish(),
        extra_info: z.record(z.string(), z.unknown()).nullish(),
        metadata: z.record(z.string(), z.unknown()).nullish(),
      }),
      score: z.number().nullish(),
    }),
  ),
});

/** The service caps dense_similarity_top_k at 100. */
const MAX_TOP_K = 100;

export class LlamaCloudRetriever implements RetrievalProvider {
  readonly name = 'llamaindex' as const;

  constructor(
    private readonly http: ProviderHttp,
    private readonly pipelineId: string,
  ) {}

  async retrieve(request: RetrievalRequest): Promise<RetrievalResult> {
    const topK = Math.min(MAX_TOP_K, Math.max(1, Math.floor(request.topK)));
    const path = `/api/v1/pipelines/${encodeURIComponent(this.pipelineId)}/retrieve`;
    const body = { query: request.query, dense_similarity_top_k: topK };
    const res = await this.http.postJson(path, body, RetrieveAnswerSchema, 'pipeline retrieve', request);
    return {
      provider: this.name,
      nodes: res.retrieval_nodes.map(({ node, score }) => ({
        text: node.text ?? '',
        score: score ?? null,
        metadata: { ...(node.metadata ?? {}), ...(node.extra_info ?? {}) },
      })),
    };
  }
}
