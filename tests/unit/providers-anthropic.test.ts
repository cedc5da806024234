import { ANTHROPIC_DEFAULT_MAX_TOKENS, createAnthropicProvider, type ChatStreamEvent } from '../../src/control-plane/providers';
import { FAKE_DEFAULT_TEXT, startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

const KEY = 'sk-ant-test-key-0001';

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('Anthropic Messages client', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeProvider('anthropic');
  });
  afterEach(() => fake.close());
  const provider = () => createAnthropicProvider({ apiKey: KEY, baseUrl: fake.url });

  test('system prompts go in the top-level system field; headers x-api-key and anthropic-version', async () => {
    const result = await provider().chat({
      model: 'claude-3-5-sonnet-latest',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Tempo of a ballad?' },
      ],
      temperature: 0.5,
    });

    const [req] = fake.requests;
    expect(req?.path).toBe('/v1/messages');
    expect(req?.headers['x-api-key']).toBe(KEY);
    expect(req?.headers['anthropic-version']).toBe('2023-06-01');
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.body).toEqual({
      model: 'claude-3-5-sonnet-latest',
      max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      system: 'Be brief.\n\nAnswer in English.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Tempo of a ballad?' },
      ],
      temperature: 0.5,
    });
    expect(result).toEqual({
      provider: 'anthropic',
      model: 'claude-3-5-sonnet-latest',
      content: FAKE_DEFAULT_TEXT,
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 7, estimated: false },
    });
  });

  test('maxOutputTokens becomes max_tokens; stop_reason max_tokens is length', async () => {
    fake.setBehaviour({ type: 'ok', finishReason: 'max_tokens' });
    const result = await provider().chat({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'Go' }], maxOutputTokens: 12 });
    expect(fake.requests[0]?.body).toMatchObject({ max_tokens: 12 });
    expect(fake.requests[0]?.body).not.toHaveProperty('system');
    expect(result.finishReason).toBe('length');
  });

  test('usage absent is estimated', async () => {
    fake.setBehaviour({ type: 'ok', usage: false, text: 'abcdefgh' });
    const result = await provider().chat({ model: 'm', messages: [{ role: 'user', content: '12345678' }] });
    expect(result.usage).toEqual({ inputTokens: 2, outputTokens: 2, estimated: true });
  });

  test('only system messages is refused before any request', async () => {
    await expect(provider().chat({ model: 'm', messages: [{ role: 'system', content: 'x' }] })).rejects.toMatchObject({ kind: 'bad_request' });
    expect(fake.requests).toHaveLength(0);
  });

  test('stream: message_start usage, text_delta deltas, message_delta usage and stop_reason', async () => {
    const events = await collect(provider().chatStream({ model: 'claude-3-5-haiku-latest', messages: [{ role: 'user', content: 'Hi' }] }));
    expect(fake.requests[0]?.body).toMatchObject({ stream: true, max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS });
    expect(events.filter((e) => e.type === 'delta').map((e) => (e.type === 'delta' ? e.text : '')).join('')).toBe(FAKE_DEFAULT_TEXT);
    expect(events.filter((e) => e.type === 'done')).toEqual([
      {
        type: 'done',
        result: { provider: 'anthropic', model: 'claude-3-5-haiku-latest', content: FAKE_DEFAULT_TEXT, finishReason: 'stop', usage: { inputTokens: 11, outputTokens: 7, estimated: false } },
      },
    ]);
  });

  test('stream without usage is estimated', async () => {
    fake.setBehaviour({ type: 'ok', usage: false });
    const events = await collect(provider().chatStream({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }));
    const done = events[events.length - 1];
    expect(done?.type === 'done' && done.result.usage.estimated).toBe(true);
  });

  test('an error event mid-stream keeps its type as providerCode', async () => {
    fake.setBehaviour({ type: 'stream-error', message: 'Overloaded' });
    await expect(collect(provider().chatStream({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] }))).rejects.toMatchObject({
      kind: 'server',
      details: { providerCode: 'overloaded_error' },
    });
  });

  test('529 overloaded is server with the error type as providerCode', async () => {
    fake.setBehaviour({ type: 'error', status: 529, message: 'Overloaded' });
    await expect(provider().chat({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] })).rejects.toMatchObject({
      kind: 'server',
      status: 529,
      details: { providerCode: 'overloaded_error' },
    });
  });
});
