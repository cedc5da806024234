import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ProviderError,
  createAnthropicProvider,
  createGeminiProvider,
  createLocalProvider,
  createMistralProvider,
  createOpenAiProvider,
  type ChatProvider,
  type ChatRequest,
  type ChatStreamEvent,
} from '../../src/control-plane/providers';
import { startFakeProvider, type FakeProvider, type FakeProviderKind } from '../helpers/fake-providers';

// One conformance suite for every chat client: the same failure on the wire must reach the
// router as the same ProviderError kind, whichever provider it came from.

const KEY = 'sk-test-SECRET-key-0123456789abcdef';

interface Case {
  kind: FakeProviderKind;
  model: string;
  build(url: string): ChatProvider;
}

const CASES: Case[] = [
  { kind: 'openai', model: 'gpt-4o-mini', build: (baseUrl) => createOpenAiProvider({ apiKey: KEY, baseUrl }) },
  { kind: 'mistral', model: 'mistral-small-latest', build: (baseUrl) => createMistralProvider({ apiKey: KEY, baseUrl }) },
  { kind: 'local', model: 'llama3.2', build: (baseUrl) => createLocalProvider({ apiKey: KEY, baseUrl }) },
  { kind: 'anthropic', model: 'claude-3-5-haiku-latest', build: (baseUrl) => createAnthropicProvider({ apiKey: KEY, baseUrl }) },
  { kind: 'google', model: 'gemini-2.0-flash', build: (baseUrl) => createGeminiProvider({ apiKey: KEY, baseUrl }) },
];

async function collect(stream: AsyncIterable<ChatStreamEvent>): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const outcome = await promise.then(
    () => new Error('expected the call to fail'),
    (err: unknown) => err,
  );
  if (!(outcome instanceof ProviderError)) throw outcome;
  return outcome;
}

function expectNoKey(err: ProviderError): void {
  expect(err.message).not.toContain(KEY);
  expect(JSON.stringify(err.details)).not.toContain(KEY);
  expect(String(err.stack)).not.toContain(KEY);
  expect(err.cause).toBeUndefined();
}

describe.each(CASES)('$kind client maps failures', ({ kind, model, build }) => {
  let fake: FakeProvider;
  let provider: ChatProvider;
  const request = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ model, messages: [{ role: 'user', content: 'Hi there' }], ...extra });

  beforeEach(async () => {
    fake = await startFakeProvider(kind);
    provider = build(fake.url);
  });
  afterEach(() => fake.close());

  test('401 is auth, not retryable, and the key the provider echoed is not repeated', async () => {
    fake.setBehaviour({ type: 'error', status: 401, message: `Incorrect API key provided: ${KEY}` });
    const err = await failure(provider.chat(request()));
    expect(err).toMatchObject({ provider: kind, kind: 'auth', retryable: false, status: 401 });
    expectNoKey(err);
  });

  test('403 is auth', async () => {
    fake.setBehaviour({ type: 'error', status: 403, message: 'no access' });
    expect(await failure(provider.chat(request()))).toMatchObject({ kind: 'auth', status: 403 });
  });

  test('429 with Retry-After seconds is rate_limited with retryAfterMs', async () => {
    fake.setBehaviour({ type: 'error', status: 429, message: 'slow down', headers: { 'retry-after': '7' } });
    const err = await failure(provider.chat(request()));
    expect(err).toMatchObject({ kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 });
    expect(err.message).toContain('slow down');
  });

  test('429 with an HTTP-date Retry-After', async () => {
    const at = new Date(Date.now() + 30_000).toUTCString();
    fake.setBehaviour({ type: 'error', status: 429, headers: { 'retry-after': at } });
    const err = await failure(provider.chat(request()));
    expect(err.retryAfterMs).toBeGreaterThan(25_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  test.each([500, 503, 529])('%i is server and retryable', async (status) => {
    fake.setBehaviour({ type: 'error', status, message: 'Overloaded right now' });
    const err = await failure(provider.chat(request()));
    expect(err).toMatchObject({ kind: 'server', retryable: true, status });
    expect(err.message).toContain('Overloaded right now');
  });

  test.each([400, 404, 422])('%i is bad_request with the provider message and code', async (status) => {
    fake.setBehaviour({ type: 'error', status, message: `The model ${model}-x does not exist (${KEY})`, code: 'model_not_found' });
    const err = await failure(provider.chat(request()));
    expect(err).toMatchObject({ kind: 'bad_request', retryable: false, status, details: { providerCode: 'model_not_found' } });
    expect(err.message).toContain(`The model ${model}-x does not exist`);
    expectNoKey(err);
  });

  test('a 2xx body of the wrong shape is bad_response', async () => {
    fake.setBehaviour({ type: 'malformed' });
    expect(await failure(provider.chat(request()))).toMatchObject({ kind: 'bad_response', retryable: false });
  });

  test('no answer within timeoutMs is timeout', async () => {
    fake.setBehaviour({ type: 'hang' });
    const started = Date.now();
    const err = await failure(provider.chat(request({ timeoutMs: 150 })));
    expect(err).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('the caller aborting mid-request is aborted', async () => {
    fake.setBehaviour({ type: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await failure(provider.chat(request({ signal: controller.signal, timeoutMs: 5000 })));
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
  });

  test('an already-aborted signal fails without sending anything', async () => {
    const err = await failure(provider.chat(request({ signal: AbortSignal.abort() })));
    expect(err.kind).toBe('aborted');
    expect(fake.requests).toHaveLength(0);
  });

  test('a refused connection is network', async () => {
    const closed = await closedPortUrl();
    const err = await failure(build(closed).chat(request()));
    expect(err).toMatchObject({ kind: 'network', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
    expectNoKey(err);
  });

  describe('streaming', () => {
    test('an error status before the first byte is the same ProviderError', async () => {
      fake.setBehaviour({ type: 'error', status: 429, headers: { 'retry-after': '2' } });
      const err = await failure(collect(provider.chatStream(request())));
      expect(err).toMatchObject({ kind: 'rate_limited', retryAfterMs: 2000 });
    });

    test('401 on a stream does not leak the key either', async () => {
      fake.setBehaviour({ type: 'error', status: 401, message: `bad key ${KEY}` });
      const err = await failure(collect(provider.chatStream(request())));
      expect(err.kind).toBe('auth');
      expectNoKey(err);
    });

    test('an error event mid-stream becomes a ProviderError after the first delta', async () => {
      fake.setBehaviour({ type: 'stream-error', message: 'Overloaded mid-stream' });
      const seen: ChatStreamEvent[] = [];
      const err = await failure(
        (async () => {
          for await (const event of provider.chatStream(request())) seen.push(event);
        })(),
      );
      expect(err).toMatchObject({ kind: 'server', retryable: true });
      expect(err.message).toContain('Overloaded mid-stream');
      expect(seen).toEqual([{ type: 'delta', text: 'Hello ' }]);
    });

    test('a dropped connection mid-stream is network', async () => {
      fake.setBehaviour({ type: 'stream-drop' });
      expect(await failure(collect(provider.chatStream(request())))).toMatchObject({ kind: 'network' });
    });

    test('a stream that ends without its terminator is bad_response', async () => {
      fake.setBehaviour({ type: 'stream-truncated' });
      expect(await failure(collect(provider.chatStream(request())))).toMatchObject({ kind: 'bad_response' });
    });

    test('an event that is not JSON is bad_response', async () => {
      fake.setBehaviour({ type: 'malformed' });
      expect(await failure(collect(provider.chatStream(request())))).toMatchObject({ kind: 'bad_response' });
    });

    test('silence mid-stream longer than timeoutMs is timeout', async () => {
      fake.setBehaviour({ type: 'stream-stall' });
      expect(await failure(collect(provider.chatStream(request({ timeoutMs: 150 }))))).toMatchObject({ kind: 'timeout' });
    });

    test('aborting mid-stream is aborted', async () => {
      fake.setBehaviour({ type: 'stream-stall' });
      const controller = new AbortController();
      const err = await failure(
        (async () => {
          for await (const event of provider.chatStream(request({ signal: controller.signal, timeoutMs: 5000 }))) {
            if (event.type === 'delta') controller.abort();
          }
        })(),
      );
      expect(err.kind).toBe('aborted');
    });
  });
});

async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
