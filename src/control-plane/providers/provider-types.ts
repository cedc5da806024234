/**
 * The narrow interface every language-model provider implements (OpenAI, Anthropic, Gemini,
 * Mistral, an OpenAI-compatible local server, the offline provider). The router only ever
 * sees these types: wire formats stay inside each client.
 */

export const PROVIDER_NAMES = ['openai', 'anthropic', 'google', 'mistral', 'local', 'llamaindex', 'offline'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface ChatRequest {
  /** The provider's own model id (e.g. `gpt-4o-mini`, `gemini-1.5-pro`), not the catalog key. */
  model: string;
  messages: ChatMessage[];
  maxOutputTokens?: number;
  temperature?: number;
  /** Aborts the HTTP call; the client rejects with a ProviderError of kind `aborted`. */
  signal?: AbortSignal;
  /** Per-attempt timeout; the client rejects with kind `timeout` when it passes. */
  timeoutMs?: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** True when the provider sent no usage and the counts are our estimate. */
  estimated: boolean;
}

export interface ChatResult {
  provider: ProviderName;
  /** The model id the provider says answered. */
  model: string;
  content: string;
  /** Provider's stop reason normalised: `stop`, `length`, `content_filter`, `tool_use`, or the raw value. */
  finishReason: string | null;
  usage: TokenUsage;
}

export type ChatStreamEvent = { type: 'delta'; text: string } | { type: 'done'; result: ChatResult };

export interface EmbeddingRequest {
  model: string;
  input: string[];
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface EmbeddingResult {
  provider: ProviderName;
  model: string;
  /** One vector per input, in input order. */
  vectors: number[][];
  usage: TokenUsage;
}

export interface ChatProvider {
  readonly name: ProviderName;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Server-sent-events streaming; yields text deltas then exactly one `done`. */
  chatStream(request: ChatRequest): AsyncIterable<ChatStreamEvent>;
}

export interface EmbeddingProvider {
  readonly name: ProviderName;
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
}

/** A hosted knowledge source (LlamaCloud): passages relevant to a query, not generated text. */
export interface RetrievalRequest {
  query: string;
  /** How many passages to ask for. */
  topK: number;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface RetrievedNode {
  text: string;
  /** Similarity as the service reports it (higher is closer); null when it sent none. */
  score: number | null;
  metadata: Record<string, unknown>;
}

export interface RetrievalResult {
  provider: ProviderName;
  nodes: RetrievedNode[];
}

export interface RetrievalProvider {
  readonly name: ProviderName;
  retrieve(request: RetrievalRequest): Promise<RetrievalResult>;
}

/**
 * Why a provider call failed, as the router needs it: `retryable` kinds may be retried or
 * fall back to another candidate; the others are the caller's or the configuration's fault.
 */
export type ProviderErrorKind =
  | 'auth' // 401/403: key missing, wrong or without access
  | 'rate_limited' // 429 (retryAfterMs when the provider said)
  | 'server' // 5xx, overloaded (Anthropic 529)
  | 'timeout'
  | 'network' // connection refused/reset before an answer
  | 'bad_response' // 2xx whose body does not match the documented format
  | 'bad_request' // 400/404/422: the request itself is wrong (unknown model, too long)
  | 'aborted';

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'server', 'timeout', 'network']);

export class ProviderError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly provider: ProviderName | 'suno' | 'udio' | 'procedural',
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: { status?: number; retryAfterMs?: number; providerCode?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
    this.retryable = RETRYABLE.has(kind);
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get retryAfterMs(): number | undefined {
    return this.details.retryAfterMs;
  }
}
