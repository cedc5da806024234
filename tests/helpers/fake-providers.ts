import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local fake language-model APIs on 127.0.0.1 that speak each provider's documented wire
 * format (docs/AI_MODELS.md, "Language-model providers"), streaming included, and record
 * every request so tests can assert exactly what a client sent.
 *
 *   const fake = await startFakeProvider('anthropic');
 *   fake.setBehaviour({ type: 'error', status: 529 });   // every following request
 *   fake.enqueue({ type: 'hang' }, { type: 'ok' });      // the next two, then the default again
 */

export type FakeProviderKind = 'openai' | 'mistral' | 'local' | 'anthropic' | 'google' | 'llamaindex';

export interface FakeNode {
  text: string;
  score?: number;
  metadata?: Record<string, unknown>;
}

export type FakeBehaviour =
  /** A valid answer. `usage: false` leaves the usage fields out. */
  | { type: 'ok'; text?: string; model?: string; usage?: boolean; finishReason?: string; nodes?: FakeNode[] }
  /** The provider's documented error body with this status (401, 429 + Retry-After, 500, 503, 529…); `body` replaces it (a string is sent as plain text). */
  | { type: 'error'; status: number; message?: string; code?: string; headers?: Record<string, string>; body?: unknown }
  /** HTTP 200 whose body does not match the documented schema (streams: a `data:` line that is not JSON). */
  | { type: 'malformed' }
  /** Accepts the request and never answers (for timeouts and aborts). */
  | { type: 'hang' }
  /** Streams: the first delta, then the provider's in-stream error event. */
  | { type: 'stream-error'; message?: string }
  /** Streams: the first delta, then the connection is destroyed. */
  | { type: 'stream-drop' }
  /** Streams: the first delta, then silence with the connection open (idle timeouts, aborts mid-stream). */
  | { type: 'stream-stall' }
  /** Streams: all deltas, then a clean end without the terminator ([DONE], message_stop, finishReason). */
  | { type: 'stream-truncated' };

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeProvider {
  readonly kind: FakeProviderKind;
  /** Base URL to give the client, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** The behaviour for every request not covered by `enqueue`. */
  setBehaviour(behaviour: FakeBehaviour): void;
  /** One-shot behaviours, used in order before the default (e.g. 503 then ok, for retry tests). */
  enqueue(...behaviours: FakeBehaviour[]): void;
  /** Open client connections (e.g. 0 after a client abandoned a stream). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

export const FAKE_DEFAULT_TEXT = 'Hello from the fake provider.';
export const FAKE_USAGE = { input: 11, output: 7 };

type Endpoint = 'chat' | 'stream' | 'embed' | 'retrieve';
type Ok = Extract<FakeBehaviour, { type: 'ok' }>;
type Body = Record<string, unknown>;

/** A frame list for one stream; `cut` is where stream-error/stream-drop interrupt it. */
interface StreamPlan {
  frames: string[];
  cut: number;
  terminator: string[];
  errorFrame: (message: string) => string;
}

const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
const pieces = (text: string) => text.match(/\S+\s*/g) ?? [];
const openAiLike = (kind: FakeProviderKind) => kind === 'openai' || kind === 'mistral' || kind === 'local';

function endpointOf(kind: FakeProviderKind, req: RecordedRequest): Endpoint | undefined {
  if (req.method !== 'POST') return undefined;
  if (openAiLike(kind)) {
    if (req.path === '/v1/chat/completions') return (req.body as Body).stream === true ? 'stream' : 'chat';
    return req.path === '/v1/embeddings' ? 'embed' : undefined;
  }
  if (kind === 'anthropic') return req.path === '/v1/messages' ? ((req.body as Body).stream === true ? 'stream' : 'chat') : undefined;
  if (kind === 'llamaindex') return /^\/api\/v1\/pipelines\/[^/]+\/retrieve$/.test(req.path) ? 'retrieve' : undefined;
  const method = /^\/v1beta\/models\/[^/:]+:(\w+)$/.exec(req.path)?.[1];
  if (method === 'streamGenerateContent' && req.query.alt === 'sse') return 'stream';
  return method === 'generateContent' ? 'chat' : method === 'batchEmbedContents' ? 'embed' : undefined;
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};
const GOOGLE_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED', 500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const OPENAI_CODES: Record<number, string> = { 401: 'invalid_api_key', 404: 'model_not_found', 429: 'rate_limit_exceeded' };

function errorBody(kind: FakeProviderKind, status: number, message: string, code?: string): unknown {
  if (kind === 'anthropic') return { type: 'error', error: { type: code ?? ANTHROPIC_TYPES[status] ?? 'api_error', message } };
  if (kind === 'google') return { error: { code: status, message, status: code ?? GOOGLE_STATUSES[status] ?? 'UNKNOWN' } };
  if (kind === 'llamaindex') return { detail: message };
  const type = status >= 500 ? 'server_error' : status === 429 ? 'requests' : 'invalid_request_error';
  const c = code ?? OPENAI_CODES[status] ?? null;
  return kind === 'mistral' ? { object: 'error', message, type, param: null, code: c } : { error: { message, type, param: null, code: c } };
}

function modelOf(kind: FakeProviderKind, req: RecordedRequest, b: Ok): string {
  if (b.model) return b.model;
  if (kind === 'google') return /^\/v1beta\/models\/([^/:]+):/.exec(req.path)?.[1] ?? 'unknown';
  const model = (req.body as Body).model;
  return typeof model === 'string' ? model : 'unknown';
}

function chatAnswer(kind: FakeProviderKind, req: RecordedRequest, b: Ok): unknown {
  const text = b.text ?? FAKE_DEFAULT_TEXT;
  const model = modelOf(kind, req, b);
  const withUsage = b.usage !== false;
  if (kind === 'anthropic') {
    const usage = withUsage ? { usage: { input_tokens: FAKE_USAGE.input, output_tokens: FAKE_USAGE.output } } : {};
    return { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: b.finishReason ?? 'end_turn', stop_sequence: null, ...usage };
  }
  if (kind === 'google') {
    const usage = withUsage ? { usageMetadata: { promptTokenCount: FAKE_USAGE.input, candidatesTokenCount: FAKE_USAGE.output, totalTokenCount: FAKE_USAGE.input + FAKE_USAGE.output } } : {};
    return { candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: b.finishReason ?? 'STOP', index: 0 }], modelVersion: model, ...usage };
  }
  const usage = withUsage ? { usage: { prompt_tokens: FAKE_USAGE.input, completion_tokens: FAKE_USAGE.output, total_tokens: FAKE_USAGE.input + FAKE_USAGE.output } } : {};
  const message = { role: 'assistant', content: text };
  return { id: 'chatcmpl-fake', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message, finish_reason: b.finishReason ?? 'stop' }], ...usage };
}

function openAiStream(kind: FakeProviderKind, req: RecordedRequest, b: Ok, model: string, text: string): StreamPlan {
  const withUsage = b.usage !== false;
  const usage = { prompt_tokens: FAKE_USAGE.input, completion_tokens: FAKE_USAGE.output, total_tokens: FAKE_USAGE.input + FAKE_USAGE.output };
  const asked = (req.body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage === true;
  const chunk = (delta: Body, finish: string | null, extra: Body = {}) => sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  const frames = [chunk({ role: 'assistant', content: '' }, null), ...pieces(text).map((p) => chunk({ content: p }, null))];
  // Mistral sends usage in the last chunk unasked; OpenAI sends a separate choices:[] chunk when asked.
  const finish = chunk({}, b.finishReason ?? 'stop', kind === 'mistral' && withUsage ? { usage } : {});
  const usageChunk = kind !== 'mistral' && asked && withUsage ? [sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [], usage })] : [];
  return {
    frames: [...frames, finish, ...usageChunk],
    cut: 2,
    terminator: ['data: [DONE]\n\n'],
    errorFrame: (message) => sse({ error: { message, type: 'server_error', param: null, code: null } }),
  };
}

function anthropicStream(b: Ok, model: string, text: string): StreamPlan {
  const withUsage = b.usage !== false;
  const startUsage = withUsage ? { usage: { input_tokens: FAKE_USAGE.input, output_tokens: 1 } } : {};
  const message = { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, ...startUsage };
  const frames = [
    sse({ type: 'message_start', message }, 'message_start'),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    sse({ type: 'ping' }, 'ping'),
    ...pieces(text).map((p) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }, 'content_block_delta')),
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse({ type: 'message_delta', delta: { stop_reason: b.finishReason ?? 'end_turn', stop_sequence: null }, ...(withUsage ? { usage: { output_tokens: FAKE_USAGE.output } } : {}) }, 'message_delta'),
  ];
  return {
    frames,
    cut: 4,
    terminator: [sse({ type: 'message_stop' }, 'message_stop')],
    errorFrame: (msg) => sse({ type: 'error', error: { type: 'overloaded_error', message: msg } }, 'error'),
  };
}

function googleStream(b: Ok, model: string, text: string): StreamPlan {
  const parts = pieces(text);
  const chunk = (t: string, last: boolean) => {
    const usage = last && b.usage !== false ? { usageMetadata: { promptTokenCount: FAKE_USAGE.input, candidatesTokenCount: FAKE_USAGE.output, totalTokenCount: FAKE_USAGE.input + FAKE_USAGE.output } } : {};
    const candidate = { content: { role: 'model', parts: [{ text: t }] }, index: 0, ...(last ? { finishReason: b.finishReason ?? 'STOP' } : {}) };
    return sse({ candidates: [candidate], modelVersion: model, ...usage });
  };
  return {
    frames: parts.slice(0, -1).map((p) => chunk(p, false)),
    cut: 1,
    terminator: [chunk(parts[parts.length - 1] ?? '', true)],
    errorFrame: (message) => sse({ error: { code: 500, message, status: 'INTERNAL' } }),
  };
}

function writeStream(kind: FakeProviderKind, req: RecordedRequest, b: FakeBehaviour, res: ServerResponse): void {
  const ok: Ok = b.type === 'ok' ? b : { type: 'ok' };
  const model = modelOf(kind, req, ok);
  const text = ok.text ?? FAKE_DEFAULT_TEXT;
  const plan = kind === 'anthropic' ? anthropicStream(ok, model, text) : kind === 'google' ? googleStream(ok, model, text) : openAiStream(kind, req, ok, model, text);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (b.type === 'malformed') return void res.end('data: this is not json\n\n');
  if (b.type === 'stream-drop') {
    res.write(plan.frames.slice(0, plan.cut).join(''));
    setTimeout(() => res.destroy(), 20);
    return;
  }
  if (b.type === 'stream-stall') return void res.write(plan.frames.slice(0, plan.cut).join(''));
  if (b.type === 'stream-error') return void res.end(plan.frames.slice(0, plan.cut).join('') + plan.errorFrame(b.message ?? 'Overloaded'));
  // Written frame by frame so clients really parse across chunk boundaries.
  for (const frame of plan.frames) res.write(frame);
  res.end(b.type === 'stream-truncated' ? '' : plan.terminator.join(''));
}

function embedAnswer(kind: FakeProviderKind, req: RecordedRequest, b: Ok): unknown {
  const vector = (text: string, i: number) => [i + 1, text.length, 0.5];
  if (kind === 'google') {
    const requests = (req.body as { requests: Array<{ content: { parts: Array<{ text: string }> } }> }).requests;
    return { embeddings: requests.map((r, i) => ({ values: vector(r.content.parts[0]?.text ?? '', i) })) };
  }
  const input = (req.body as { input: string[] }).input;
  // Deliberately out of order: clients must sort by `index`.
  const data = input.map((text, index) => ({ object: 'embedding', index, embedding: vector(text, index) })).reverse();
  const usage = b.usage !== false ? { usage: { prompt_tokens: FAKE_USAGE.input, total_tokens: FAKE_USAGE.input } } : {};
  return { object: 'list', data, model: modelOf(kind, req, b), ...usage };
}

function retrieveAnswer(req: RecordedRequest, b: Ok): unknown {
  const nodes = b.nodes ?? [{ text: 'Jarvis mixes stems.', score: 0.9, metadata: { file_name: 'notes.md' } }];
  const pipelineId = /pipelines\/([^/]+)\//.exec(req.path)?.[1];
  const retrieval_nodes = nodes.map((n, i) => ({ node: { id_: `node-${i}`, text: n.text, extra_info: n.metadata ?? {} }, score: n.score, class_name: 'TextNodeWithScore' }));
  return { pipeline_id: pipelineId, retrieval_nodes };
}

function answer(kind: FakeProviderKind, req: RecordedRequest, b: FakeBehaviour, res: ServerResponse): void {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    // A string body is sent as plain text (a proxy's error page, say), anything else as JSON.
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  if (b.type === 'hang') return;
  if (b.type === 'error') return json(b.status, b.body ?? errorBody(kind, b.status, b.message ?? `fake ${kind} error ${b.status}`, b.code), b.headers);
  const endpoint = endpointOf(kind, req);
  if (!endpoint) return json(404, errorBody(kind, 404, `no such endpoint ${req.method} ${req.path}`));
  if (endpoint === 'stream') return writeStream(kind, req, b, res);
  if (b.type === 'malformed') return json(200, { unexpected: true });
  const ok: Ok = b.type === 'ok' ? b : { type: 'ok' };
  if (endpoint === 'embed') return json(200, embedAnswer(kind, req, ok));
  if (endpoint === 'retrieve') return json(200, retrieveAnswer(req, ok));
  return json(200, chatAnswer(kind, req, ok));
}

function record(req: IncomingMessage, raw: string): RecordedRequest {
  const url = new URL(req.url ?? '/', 'http://fake');
  let body: unknown = raw;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    // kept as text
  }
  return { method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
}

export async function startFakeProvider(kind: FakeProviderKind, initial: FakeBehaviour = { type: 'ok' }): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const queue: FakeBehaviour[] = [];
  let behaviour = initial;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = record(req, Buffer.concat(chunks).toString('utf8'));
      requests.push(recorded);
      answer(kind, recorded, queue.shift() ?? behaviour, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    requests,
    setBehaviour: (b) => void (behaviour = b),
    enqueue: (...bs) => void queue.push(...bs),
    openConnections: () => new Promise((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n)))),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
