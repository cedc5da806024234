import { describeErrorBody, streamError } from '../http/error-mapping';
import { parseAnswer } from '../http/parse-answer';
import type { ProviderHttp } from '../http/provider-http';
import { estimateMessagesTokens, estimateTokens, usageOrEstimate } from '../http/usage';
import { ProviderError, type ChatProvider, type ChatRequest, type ChatResult, type ChatStreamEvent } from '../provider-types';
import {
  ContentBlockDeltaSchema,
  MessageDeltaSchema,
  MessageSchema,
  MessageStartSchema,
  StreamEventTypeSchema,
  normaliseStopReason,
} from './anthropic-schemas';

/** What a stream has told us so far. */
interface StreamState {
  model: string;
  content: string;
  inputTokens?: number;
  outputTokens?: number;
  stopReason: string | null;
}

/**
 * Anthropic Messages API (`POST /v1/messages`). System prompts go in the top-level `system`
 * field (the API has no `system` role), and `max_tokens` is required, so it is defaulted.
 */
export class AnthropicProvider implements ChatProvider {
  readonly name = 'anthropic' as const;

  constructor(
    private readonly http: ProviderHttp,
    private readonly defaultMaxTokens: number,
  ) {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    const res = await this.http.postJson('/v1/messages', this.body(request, false), MessageSchema, 'message', request);
    const content = res.content
      .filter((block) => block.type === 'text')
      .map((block) => block.text ?? '')
      .join('');
    return {
      provider: this.name,
      model: res.model,
      content,
      finishReason: normaliseStopReason(res.stop_reason),
      usage: this.usage(request, content, res.usage?.input_tokens, res.usage?.output_tokens),
    };
  }

  async *chatStream(request: ChatRequest): AsyncGenerator<ChatStreamEvent> {
    const state: StreamState = { model: request.model, content: '', stopReason: null };
    let stopped = false;
    for await (const event of this.http.postStream('/v1/messages', this.body(request, true), request)) {
      const { type } = parseAnswer(this.name, 'stream event', StreamEventTypeSchema, event.data);
      if (type === 'error') throw streamError(this.name, describeErrorBody(event.data), (t) => this.http.redact(t));
      if (type === 'message_stop') {
        stopped = true;
        break;
      }
      const text = this.apply(type, event.data, state);
      if (text !== '') yield { type: 'delta', text };
    }
    if (!stopped) throw new ProviderError(this.name, 'bad_response', 'anthropic stream ended before message_stop');
    const { model, content, stopReason } = state;
    const usage = this.usage(request, content, state.inputTokens, state.outputTokens);
    yield { type: 'done', result: { provider: this.name, model, content, finishReason: normaliseStopReason(stopReason), usage } };
  }

  /** Folds one event into the state; returns the answer text it carried ('' for none). */
  private apply(type: string, data: string, state: StreamState): string {
    if (type === 'message_start') {
      const { message } = parseAnswer(this.name, 'message_start', MessageStartSchema, data);
      state.model = message.model;
      state.inputTokens = message.usage?.input_tokens;
      state.outputTokens = message.usage?.output_tokens;
    } else if (type === 'content_block_delta') {
      const { delta } = parseAnswer(this.name, 'content_block_delta', ContentBlockDeltaSchema, data);
      if (delta.type === 'text_delta' && delta.text) {
        state.content += delta.text;
        return delta.text;
      }
    } else if (type === 'message_delta') {
      const event = parseAnswer(this.name, 'message_delta', MessageDeltaSchema, data);
      state.stopReason = event.delta.stop_reason ?? state.stopReason;
      state.outputTokens = event.usage?.output_tokens ?? state.outputTokens;
      state.inputTokens = event.usage?.input_tokens ?? state.inputTokens;
    }
    return ''; // ping, content_block_start/stop and future event types carry no answer text
  }

  private body(request: ChatRequest, stream: boolean): Record<string, unknown> {
    const system = request.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const messages = request.messages.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: m.content }));
    if (messages.length === 0) {
      throw new ProviderError(this.name, 'bad_request', 'anthropic needs at least one user or assistant message');
    }
    return {
      model: request.model,
      max_tokens: request.maxOutputTokens ?? this.defaultMaxTokens,
      messages,
      ...(system !== '' ? { system } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(stream ? { stream: true } : {}),
    };
  }

  private usage(request: ChatRequest, content: string, input: number | undefined, output: number | undefined) {
    return usageOrEstimate(
      { input, output },
      { input: () => estimateMessagesTokens(request.messages), output: () => estimateTokens(content) },
    );
  }
}
