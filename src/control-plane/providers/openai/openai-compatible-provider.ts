import { describeErrorBody, streamError } from '../http/error-mapping';
import { parseAnswer } from '../http/parse-answer';
import type { ProviderHttp } from '../http/provider-http';
import { estimateMessagesTokens, estimateTokens, usageOrEstimate } from '../http/usage';
import {
  ProviderError,
  type ChatProvider,
  type ChatRequest,
  type ChatResult,
  type ChatStreamEvent,
  type EmbeddingProvider,
  type EmbeddingRequest,
  type EmbeddingResult,
  type ProviderName,
} from '../provider-types';
import { ChatCompletionChunkSchema, ChatCompletionSchema, EmbeddingsSchema, contentText, normaliseFinishReason } from './openai-schemas';

/** Where APIs that speak the OpenAI format differ. */
export interface OpenAiDialect {
  name: ProviderName;
  /**
   * OpenAI deprecated `max_tokens` for `max_completion_tokens` (its reasoning models refuse
   * `max_tokens`); Mistral and the local servers (Ollama, llama.cpp, vLLM) document `max_tokens`.
   */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
  /**
   * OpenAI streams usage only when asked (`stream_options.include_usage`); Mistral sends it in
   * the last chunk unasked and does not document `stream_options`, so it is not sent there.
   */
  askStreamUsage: boolean;
}

/**
 * Chat Completions and Embeddings over the OpenAI wire format. One class serves OpenAI,
 * Mistral and OpenAI-compatible local servers; only the dialect and base URL differ.
 */
export class OpenAiCompatibleProvider implements ChatProvider, EmbeddingProvider {
  readonly name: ProviderName;

  constructor(
    private readonly dialect: OpenAiDialect,
    private readonly http: ProviderHttp,
  ) {
    this.name = dialect.name;
  }

  async chat(request: ChatRequest): Promise<ChatResult> {
    const res = await this.http.postJson('/v1/chat/completions', this.chatBody(request, false), ChatCompletionSchema, 'chat completion', request);
    const choice = res.choices[0];
    const content = contentText(choice?.message.content);
    return {
      provider: this.name,
      model: res.model,
      content,
      finishReason: normaliseFinishReason(choice?.finish_reason),
      usage: this.usage(request, content, res.usage),
    };
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    let content = '';
    let model = request.model;
    let finishReason: string | null = null;
    let reported: { prompt_tokens: number; completion_tokens?: number } | null | undefined;
    let done = false;
    for await (const event of this.http.postStream('/v1/chat/completions', this.chatBody(request, true), request)) {
      if (event.data.trim() === '[DONE]') {
        done = true;
        break;
      }
      const chunk = parseAnswer(this.name, 'stream chunk', ChatCompletionChunkSchema, event.data);
      if (chunk.error !== undefined) throw streamError(this.name, describeErrorBody(event.data), (t) => this.http.redact(t));
      model = chunk.model ?? model;
      reported = chunk.usage ?? reported;
      const choice = chunk.choices?.[0];
      finishReason = normaliseFinishReason(choice?.finish_reason) ?? finishReason;
      const text = contentText(choice?.delta?.content);
      if (text !== '') {
        content += text;
        yield { type: 'delta', text };
      }
    }
    if (!done) throw new ProviderError(this.name, 'bad_response', `${this.name} stream ended before [DONE]`);
    yield { type: 'done', result: { provider: this.name, model, content, finishReason, usage: this.usage(request, content, reported) } };
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    if (request.input.length === 0) {
      return { provider: this.name, model: request.model, vectors: [], usage: { inputTokens: 0, outputTokens: 0, estimated: false } };
    }
    const body = { model: request.model, input: request.input };
    const res = await this.http.postJson('/v1/embeddings', body, EmbeddingsSchema, 'embeddings', request);
    return {
      provider: this.name,
      model: res.model ?? request.model,
      vectors: orderByIndex(this.name, res.data, request.input.length),
      usage: usageOrEstimate(
        { input: res.usage?.prompt_tokens, output: 0 },
        { input: () => estimateTokens(request.input.join('\n')), output: () => 0 },
      ),
    };
  }

  private chatBody(request: ChatRequest, stream: boolean): Record<string, unknown> {
    return {
      model: request.model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(request.maxOutputTokens !== undefined ? { [this.dialect.maxTokensField]: request.maxOutputTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(stream ? { stream: true } : {}),
      ...(stream && this.dialect.askStreamUsage ? { stream_options: { include_usage: true } } : {}),
    };
  }

  private usage(request: ChatRequest, content: string, reported: { prompt_tokens: number; completion_tokens?: number } | null | undefined) {
    return usageOrEstimate(
      reported ? { input: reported.prompt_tokens, output: reported.completion_tokens } : undefined,
      { input: () => estimateMessagesTokens(request.messages), output: () => estimateTokens(content) },
    );
  }
}

/** Puts vectors back in input order by `data[].index`; a missing or repeated index is a bad answer. */
function orderByIndex(provider: ProviderName, data: ReadonlyArray<{ index: number; embedding: number[] }>, count: number): number[][] {
  const vectors: Array<number[] | undefined> = new Array<number[] | undefined>(count).fill(undefined);
  for (const item of data) {
    if (item.index >= count || vectors[item.index] !== undefined) {
      throw new ProviderError(provider, 'bad_response', `${provider} embeddings: unexpected or repeated index ${item.index}`);
    }
    vectors[item.index] = item.embedding;
  }
  const missing = vectors.findIndex((v) => v === undefined);
  if (missing !== -1) throw new ProviderError(provider, 'bad_response', `${provider} embeddings: no vector for input ${missing}`);
  return vectors.filter((v): v is number[] => v !== undefined);
}
