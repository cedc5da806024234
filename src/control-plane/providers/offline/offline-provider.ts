import { estimateMessagesTokens, estimateTokens } from '../http/usage';
import {
  ProviderError,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
  type EmbeddingProvider,
  type EmbeddingRequest,
  type EmbeddingResult,
} from '../provider-types';
import { OFFLINE_MARKER, digest, renderDigest } from './offline-digest';
import { hashEmbedding } from './offline-embedding';

export const OFFLINE_CHAT_MODEL = 'offline-v1';
export const OFFLINE_EMBEDDING_MODEL = 'offline-embed-v1';
/** Matches the memory layer's default vector column (VECTOR_DIMENSION, 1536). */
export const OFFLINE_DEFAULT_DIMENSIONS = 1536;

export interface OfflineProviderOptions {
  embeddingDimensions?: number;
}

/**
 * The provider that always works: no network, no key, deterministic. Its chat answer is a
 * labelled extractive digest of the last user message (see offline-digest.ts), not generated
 * text; its embeddings are hashed word, stem, bigram and character-trigram features (see
 * offline-embedding.ts): lexical similarity, not semantic. Token counts are estimates.
 * Whatever model id the request names, results report the offline models.
 */
export class OfflineProvider implements ChatProvider, EmbeddingProvider {
  readonly name = 'offline' as const;
  private readonly dimensions: number;

  constructor(options: OfflineProviderOptions = {}) {
    this.dimensions = options.embeddingDimensions ?? OFFLINE_DEFAULT_DIMENSIONS;
    if (!Number.isInteger(this.dimensions) || this.dimensions < 1) {
      throw new RangeError(`offline embedding dimensions must be a positive integer, got ${this.dimensions}`);
    }
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    this.throwIfAborted(request.signal);
    return this.answer(request);
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    this.throwIfAborted(request.signal);
    const result = this.answer(request);
    for (const piece of result.content.match(/\S+\s*|\s+/g) ?? []) {
      this.throwIfAborted(request.signal);
      yield { type: 'delta', text: piece };
    }
    yield { type: 'done', result };
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    this.throwIfAborted(request.signal);
    return {
      provider: this.name,
      model: OFFLINE_EMBEDDING_MODEL,
      vectors: request.input.map((text) => hashEmbedding(text, this.dimensions)),
      usage: { inputTokens: estimateTokens(request.input.join('\n')), outputTokens: 0, estimated: true },
    };
  }

  private answer(request: ChatRequest): ChatResult {
    const users = request.messages.filter((m) => m.role === 'user');
    const source = users.length > 0 ? (users[users.length - 1]?.content ?? '') : request.messages.map((m) => m.content).join('\n');
    let content = renderDigest(digest(source));
    let finishReason = 'stop';
    // Truncated like a model that ran out of tokens (≈4 chars each), but never losing the label.
    const limit = request.maxOutputTokens === undefined ? undefined : Math.max(request.maxOutputTokens * 4, OFFLINE_MARKER.length);
    if (limit !== undefined && content.length > limit) {
      content = content.slice(0, limit);
      finishReason = 'length';
    }
    return {
      provider: this.name,
      model: OFFLINE_CHAT_MODEL,
      content,
      finishReason,
      usage: { inputTokens: estimateMessagesTokens(request.messages), outputTokens: estimateTokens(content), estimated: true },
    };
  }

  private throwIfAborted(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new ProviderError(this.name, 'aborted', 'offline call aborted by the caller');
  }
}
