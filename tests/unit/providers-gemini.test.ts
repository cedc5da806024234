import { createGeminiProvider, type ChatStreamEvent } from '../../src/control-plane/providers';
import { FAKE_DEFAULT_TEXT, startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

const KEY = 'AIza-test-key-gemini-77';

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('Gemini client', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeProvider('google');
  });
  afterEach(() => fake.close());
  const provider = () => createGeminiProvider({ apiKey: KEY, baseUrl: fake.url });

  test('generateContent: key in x-goog-api-key, roles user/model, systemInstruction, generationConfig', async () => {
    const result = await provider().chat({
      model: 'gemini-2.0-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Key of the song?' },
      ],
      maxOutputTokens: 100,
      temperature: 0.3,
    });

    const [req] = fake.requests;
    expect(req?.path).toBe('/v1beta/models/gemini-2.0-flash:generateContent');
    expect(req?.headers['x-goog-api-key']).toBe(KEY);
    expect(req?.query).toEqual({});
    expect(req?.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        { role: 'user', parts: [{ text: 'Key of the song?' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { maxOutputTokens: 100, temperature: 0.3 },
    });
    expect(result).toEqual({
      provider: 'google',
      model: 'gemini-2.0-flash',
      content: FAKE_DEFAULT_TEXT,
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 7, estimated: false },
    });
  });

  test('models/ prefix is accepted; MAX_TOKENS is length; usage absent is estimated', async () => {
    fake.setBehaviour({ type: 'ok', finishReason: 'MAX_TOKENS', usage: false, text: 'abcd' });
    const result = await provider().chat({ model: 'models/gemini-1.5-pro', messages: [{ role: 'user', content: 'abcdefgh' }] });
    expect(fake.requests[0]?.path).toBe('/v1beta/models/gemini-1.5-pro:generateContent');
    expect(fake.requests[0]?.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'abcdefgh' }] }] });
    expect(result).toMatchObject({ finishReason: 'length', usage: { inputTokens: 2, outputTokens: 1, estimated: true } });
  });

  test('streamGenerateContent?alt=sse yields deltas and one done with the last chunk usage', async () => {
    const events = await collect(provider().chatStream({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(fake.requests[0]?.path).toBe('/v1beta/models/gemini-2.0-flash:streamGenerateContent');
    expect(fake.requests[0]?.query).toEqual({ alt: 'sse' });
    expect(events.filter((e) => e.type === 'delta')).toHaveLength(5);
    expect(events[events.length - 1]).toEqual({
      type: 'done',
      result: { provider: 'google', model: 'gemini-2.0-flash', content: FAKE_DEFAULT_TEXT, finishReason: 'stop', usage: { inputTokens: 11, outputTokens: 7, estimated: false } },
    });
  });

  test('batchEmbedContents sends one request per input with models/ names; usage is estimated', async () => {
    const result = await provider().embed({ model: 'text-embedding-004', input: ['alpha', 'be'] });
    const [req] = fake.requests;
    expect(req?.path).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(req?.body).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'alpha' }] } },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'be' }] } },
      ],
    });
    expect(result).toEqual({
      provider: 'google',
      model: 'text-embedding-004',
      vectors: [
        [1, 5, 0.5],
        [2, 2, 0.5],
      ],
      usage: { inputTokens: 2, outputTokens: 0, estimated: true },
    });
  });

  test('the Gemini error status becomes providerCode', async () => {
    fake.setBehaviour({ type: 'error', status: 429, message: 'Resource has been exhausted' });
    await expect(provider().chat({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({
      kind: 'rate_limited',
      details: { providerCode: 'RESOURCE_EXHAUSTED' },
      message: expect.stringContaining('Resource has been exhausted'),
    });
  });

  test('a malformed embeddings answer is bad_response', async () => {
    fake.setBehaviour({ type: 'malformed' });
    await expect(provider().embed({ model: 'text-embedding-004', input: ['a'] })).rejects.toMatchObject({ kind: 'bad_response' });
  });
});

describe('Gemini rate limits', () => {
  test('without Retry-After, the RetryInfo retryDelay in the error body is used', async () => {
    const fake = await startFakeProvider('google', {
      type: 'error',
      status: 429,
      body: {
        error: {
          code: 429,
          message: 'Quota exceeded',
          status: 'RESOURCE_EXHAUSTED',
          details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '12.5s' }],
        },
      },
    });
    try {
      await expect(
        createGeminiProvider({ apiKey: KEY, baseUrl: fake.url }).chat({ model: 'gemini-2.0-flash', messages: [{ role: 'user', content: 'Hi' }] }),
      ).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 12_500 });
    } finally {
      await fake.close();
    }
  });
});
