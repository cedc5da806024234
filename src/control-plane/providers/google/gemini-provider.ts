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
} from '../provider-types';
import { BatchEmbedSchema, GenerateContentSchema, readCandidate, reportedTokens } from './gemini-schemas';

/**
 * Gemini API (v1beta): `models/{model}:generateContent`, `:streamGenerateContent?alt=sse`
 * and `:batchEmbedContents`. Roles are `user`/`model`; system prompts go in `systemInstruction`.
 */
export class GeminiProvider implements ChatProvider, EmbeddingProvider {
  readonly name = 'google' as const;

  constructor(private readonly http: ProviderHttp) {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    const path = `${modelPath(request.model)}:generateContent`;
    const res = await this.http.postJson(path, this.body(request), GenerateContentSchema, 'generateContent', request);
    if (!res.candidates?.length && !res.promptFeedback?.blockReason) {
      throw new ProviderError(this.name, 'bad_response', 'google generateContent: no candidates and no promptFeedback');
    }
    const { text, finishReason } = readCandidate(res);
    return {
      provider: this.name,
      model: res.modelVersion ?? request.model,
      content: text,
      finishReason,
      usage: this.usage(request, text, reportedTokens(res)),
    };
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const path = `${modelPath(request.model)}:streamGenerateContent?alt=sse`;
    let content = '';
    let model = request.model;
    let finishReason: string | null = null;
    let tokens: { input?: number; output?: number } = {};
    for await (const event of this.http.postStream(path, this.body(request), request)) {
      const chunk = parseAnswer(this.name, 'stream chunk', GenerateContentSchema, event.data);
      if (chunk.error !== undefined) throw streamError(this.name, describeErrorBody(event.data), (t) => this.http.redact(t));
      const read = readCandidate(chunk);
      model = chunk.modelVersion ?? model;
      finishReason = read.finishReason ?? finishReason;
      if (chunk.usageMetadata) tokens = reportedTokens(chunk);
      if (read.text !== '') {
        content += read.text;
        yield { type: 'delta', text: read.text };
      }
    }
    // The stream has no terminator event; the last chunk carries finishReason.
    if (finishReason === null) throw new ProviderError(this.name, 'bad_response', 'google stream ended without a finishReason');
    yield { type: 'done', result: { provider: this.name, model, content, finishReason, usage: this.usage(request, content, tokens) } };
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    if (request.input.length === 0) {
      return { provider: this.name, model: request.model, vectors: [], usage: { inputTokens: 0, outputTokens: 0, estimated: false } };
    }
    const model = `models/${bareModel(request.model)}`;
    const body = { requests: request.input.map((text) => ({ model, content: { parts: [{ text }] } })) };
    const res = await this.http.postJson(`${modelPath(request.model)}:batchEmbedContents`, body, BatchEmbedSchema, 'batchEmbedContents', request);
    if (res.embeddings.length !== request.input.length) {
      throw new ProviderError(this.name, 'bad_response', `google batchEmbedContents: ${res.embeddings.length} vectors for ${request.input.length} inputs`);
    }
    // The API reports no token usage for embeddings.
    const inputTokens = estimateTokens(request.input.join('\n'));
    return { provider: this.name, model: request.model, vectors: res.embeddings.map((e) => e.values), usage: { inputTokens, outputTokens: 0, estimated: true } };
  }

  private body(request: ChatRequest): Record<string, unknown> {
    const system = request.messages.filter((m) => m.role === 'system').map((m) => ({ text: m.content }));
    const contents = request.messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
    const generationConfig = {
      ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
    return {
      contents,
      ...(system.length > 0 ? { systemInstruction: { parts: system } } : {}),
      ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
    };
  }

  private usage(request: ChatRequest, content: string, tokens: { input?: number; output?: number }) {
    return usageOrEstimate(tokens, { input: () => estimateMessagesTokens(request.messages), output: () => estimateTokens(content) });
  }
}

/** Accepts `gemini-2.0-flash` or `models/gemini-2.0-flash`. */
function bareModel(model: string): string {
  return model.replace(/^models\//, '');
}

function modelPath(model: string): string {
  return `/v1beta/models/${encodeURIComponent(bareModel(model))}`;
}
