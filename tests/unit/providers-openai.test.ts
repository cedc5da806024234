import {
  createLocalProvider,
  createMistralProvider,
  createOpenAiProvider,
  type ChatRequest,
  type ChatStreamEvent,
} from '../../src/control-plane/providers';
import { FAKE_DEFAULT_TEXT, startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

// The OpenAI wire format, as OpenAI, Mistral and OpenAI-compatible local servers speak it.

const KEY = 'sk-openai-test-key-42';
const MESSAGES: ChatRequest['messages'] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Name a scale.' },
];

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('OpenAI client', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeProvider('openai');
  });
  afterEach(() => fake.close());

  test('chat sends the documented body with Bearer auth and reads the answer', async () => {
    const provider = createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url });
    const result = await provider.chat({ model: 'gpt-4o-mini', messages: MESSAGES, maxOutputTokens: 50, temperature: 0.2 });

    const [req] = fake.requests;
    expect(req?.path).toBe('/v1/chat/completions');
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body).toEqual({ model: 'gpt-4o-mini', messages: MESSAGES, max_completion_tokens: 50, temperature: 0.2 });
    expect(result).toEqual({
      provider: 'openai',
      model: 'gpt-4o-mini',
      content: FAKE_DEFAULT_TEXT,
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 7, estimated: false },
    });
  });

  test('without usage in the answer, tokens are estimated at ~4 chars each', async () => {
    fake.setBehaviour({ type: 'ok', usage: false, text: 'x'.repeat(41), finishReason: 'length' });
    const result = await createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url }).chat({ model: 'gpt-4o', messages: MESSAGES });
    // "You are terse.\nName a scale." is 28 chars → 7 tokens; 41 chars → 11 tokens.
    expect(result.usage).toEqual({ inputTokens: 7, outputTokens: 11, estimated: true });
    expect(result.finishReason).toBe('length');
  });

  test('stream asks for usage, yields deltas, then exactly one done', async () => {
    const provider = createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url });
    const events = await collect(provider.chatStream({ model: 'gpt-4o-mini', messages: MESSAGES }));

    const body = fake.requests[0]?.body;
    expect(body).toEqual({ model: 'gpt-4o-mini', messages: MESSAGES, stream: true, stream_options: { include_usage: true } });
    expect(fake.requests[0]?.headers.accept).toBe('text/event-stream');
    const deltas = events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.text : ''));
    expect(deltas).toEqual(['Hello ', 'from ', 'the ', 'fake ', 'provider.']);
    expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
    expect(events[events.length - 1]).toEqual({
      type: 'done',
      result: { provider: 'openai', model: 'gpt-4o-mini', content: FAKE_DEFAULT_TEXT, finishReason: 'stop', usage: { inputTokens: 11, outputTokens: 7, estimated: false } },
    });
  });

  test('a stream without the usage chunk estimates', async () => {
    fake.setBehaviour({ type: 'ok', usage: false });
    const events = await collect(createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url }).chatStream({ model: 'm', messages: MESSAGES }));
    const done = events[events.length - 1];
    expect(done?.type === 'done' && done.result.usage).toEqual({ inputTokens: 7, outputTokens: Math.ceil(FAKE_DEFAULT_TEXT.length / 4), estimated: true });
  });

  test('leaving a stream early closes the connection', async () => {
    fake.setBehaviour({ type: 'stream-stall' });
    const provider = createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url });
    for await (const event of provider.chatStream({ model: 'm', messages: MESSAGES, timeoutMs: 10_000 })) {
      expect(event).toEqual({ type: 'delta', text: 'Hello ' });
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await fake.openConnections()).toBe(0);
  });

  test('embeddings are batched in one request and returned in input order by data[].index', async () => {
    const provider = createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url });
    const result = await provider.embed({ model: 'text-embedding-3-small', input: ['a', 'bbb', 'cc'] });

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.path).toBe('/v1/embeddings');
    expect(fake.requests[0]?.body).toEqual({ model: 'text-embedding-3-small', input: ['a', 'bbb', 'cc'] });
    // The fake answers data[] reversed; vector = [index + 1, text length, 0.5].
    expect(result.vectors).toEqual([
      [1, 1, 0.5],
      [2, 3, 0.5],
      [3, 2, 0.5],
    ]);
    expect(result.usage).toEqual({ inputTokens: 11, outputTokens: 0, estimated: false });
  });

  test('no inputs means no request', async () => {
    const result = await createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url }).embed({ model: 'm', input: [] });
    expect(result.vectors).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });

  test('a malformed embeddings answer is bad_response', async () => {
    fake.setBehaviour({ type: 'malformed' });
    await expect(createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url }).embed({ model: 'm', input: ['a'] })).rejects.toMatchObject({
      kind: 'bad_response',
    });
  });

  test('retry-after-ms (OpenAI) wins over Retry-After', async () => {
    fake.setBehaviour({ type: 'error', status: 429, headers: { 'retry-after-ms': '1500', 'retry-after': '2' } });
    await expect(createOpenAiProvider({ apiKey: KEY, baseUrl: fake.url }).chat({ model: 'm', messages: MESSAGES })).rejects.toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 1500,
    });
  });
});

describe('Mistral client (OpenAI format, Mistral dialect)', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeProvider('mistral');
  });
  afterEach(() => fake.close());

  test('chat uses max_tokens', async () => {
    const result = await createMistralProvider({ apiKey: KEY, baseUrl: fake.url }).chat({ model: 'mistral-small-latest', messages: MESSAGES, maxOutputTokens: 64 });
    expect(fake.requests[0]?.body).toEqual({ model: 'mistral-small-latest', messages: MESSAGES, max_tokens: 64 });
    expect(fake.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(result).toMatchObject({ provider: 'mistral', content: FAKE_DEFAULT_TEXT, usage: { estimated: false } });
  });

  test('stream sends no stream_options and reads usage from the last chunk', async () => {
    const events = await collect(createMistralProvider({ apiKey: KEY, baseUrl: fake.url }).chatStream({ model: 'mistral-large-latest', messages: MESSAGES }));
    expect(fake.requests[0]?.body).toEqual({ model: 'mistral-large-latest', messages: MESSAGES, stream: true });
    const done = events[events.length - 1];
    expect(done?.type === 'done' && done.result).toEqual({
      provider: 'mistral',
      model: 'mistral-large-latest',
      content: FAKE_DEFAULT_TEXT,
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 7, estimated: false },
    });
  });

  test('mistral-embed embeddings', async () => {
    const result = await createMistralProvider({ apiKey: KEY, baseUrl: fake.url }).embed({ model: 'mistral-embed', input: ['hello', 'hi'] });
    expect(fake.requests[0]).toMatchObject({ path: '/v1/embeddings', body: { model: 'mistral-embed', input: ['hello', 'hi'] } });
    expect(result).toMatchObject({ provider: 'mistral', model: 'mistral-embed', vectors: [[1, 5, 0.5], [2, 2, 0.5]] });
  });

  test("Mistral's error body (message at the top level) reaches the error", async () => {
    fake.setBehaviour({ type: 'error', status: 422, message: 'Input should be a valid list' });
    await expect(createMistralProvider({ apiKey: KEY, baseUrl: fake.url }).chat({ model: 'm', messages: MESSAGES })).rejects.toMatchObject({
      kind: 'bad_request',
      message: expect.stringContaining('Input should be a valid list'),
    });
  });
});

test.each([
  ['a 422 whose message holds FastAPI detail', { object: 'error', message: { detail: [{ msg: 'Field required' }] }, type: 'invalid_request_error' }, 'Field required'],
  ['a bare FastAPI detail list', { detail: [{ msg: 'Extra inputs are not permitted' }, { msg: 'Field required' }] }, 'Extra inputs are not permitted; Field required'],
  ['a body that is not JSON', 'upstream connect error', 'upstream connect error'],
])('Mistral: the message of %s reaches the error', async (_label, body, expected) => {
  const fake = await startFakeProvider('mistral', { type: 'error', status: 422, body });
  try {
    const err = await createMistralProvider({ apiKey: KEY, baseUrl: fake.url }).chat({ model: 'm', messages: MESSAGES }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bad_request', status: 422, message: expect.stringContaining(expected) });
  } finally {
    await fake.close();
  }
});

describe('local OpenAI-compatible server', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeProvider('local');
  });
  afterEach(() => fake.close());

  test('without a key no Authorization header is sent', async () => {
    const result = await createLocalProvider({ baseUrl: fake.url }).chat({ model: 'llama3.2', messages: MESSAGES, maxOutputTokens: 20 });
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
    expect(fake.requests[0]?.body).toEqual({ model: 'llama3.2', messages: MESSAGES, max_tokens: 20 });
    expect(result).toMatchObject({ provider: 'local', model: 'llama3.2', content: FAKE_DEFAULT_TEXT });
  });

  test('with a key it is sent as Bearer; streams ask for usage', async () => {
    const events = await collect(createLocalProvider({ baseUrl: `${fake.url}/`, apiKey: 'local-key' }).chatStream({ model: 'qwen2.5', messages: MESSAGES }));
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer local-key');
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(events[events.length - 1]).toMatchObject({ type: 'done', result: { provider: 'local', usage: { estimated: false } } });
  });
});
