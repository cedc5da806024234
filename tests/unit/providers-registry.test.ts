import { ProvidersConfigSchema, createProviderRegistry } from '../../src/control-plane/providers';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

describe('createProviderRegistry', () => {
  test('with nothing configured there is only the offline provider', () => {
    const registry = createProviderRegistry({});
    expect([...registry.chat.keys()]).toEqual(['offline']);
    expect([...registry.embedding.keys()]).toEqual(['offline']);
    expect(registry.retrieval).toBeUndefined();
    expect(registry.configured).toEqual([]);
  });

  describe('with every provider configured (loopback fakes)', () => {
    const fakes: FakeProvider[] = [];
    afterAll(() => Promise.all(fakes.map((f) => f.close())));

    test('builds exactly the configured ones, without calling them, and wires each base URL', async () => {
      const [openai, anthropic, google, mistral, local, llamaindex] = await Promise.all(
        (['openai', 'anthropic', 'google', 'mistral', 'local', 'llamaindex'] as const).map((k) => startFakeProvider(k)),
      );
      if (!openai || !anthropic || !google || !mistral || !local || !llamaindex) throw new Error('fakes did not start');
      fakes.push(openai, anthropic, google, mistral, local, llamaindex);
      const registry = createProviderRegistry(
        ProvidersConfigSchema.parse({
          openai: { apiKey: 'k1', baseUrl: openai.url },
          anthropic: { apiKey: 'k2', baseUrl: anthropic.url },
          google: { apiKey: 'k3', baseUrl: google.url },
          mistral: { apiKey: 'k4', baseUrl: mistral.url },
          local: { baseUrl: local.url },
          llamaindex: { apiKey: 'k5', baseUrl: llamaindex.url, pipelineId: 'p1' },
          offline: { embeddingDimensions: 256 },
          defaultTimeoutMs: 5000,
        }),
      );

      expect([...registry.chat.keys()]).toEqual(['openai', 'anthropic', 'google', 'mistral', 'local', 'offline']);
      expect([...registry.embedding.keys()]).toEqual(['openai', 'google', 'mistral', 'local', 'offline']);
      expect(registry.configured).toEqual(['openai', 'anthropic', 'google', 'mistral', 'local', 'llamaindex']);
      expect(fakes.every((f) => f.requests.length === 0)).toBe(true);

      const messages = [{ role: 'user' as const, content: 'Hi' }];
      for (const [name, provider] of registry.chat) {
        const result = await provider.chat({ model: 'm', messages });
        expect(result.provider).toBe(name);
      }
      expect(fakes.slice(0, 5).map((f) => f.requests.length)).toEqual([1, 1, 1, 1, 1]);
      expect(anthropic.requests[0]?.headers['x-api-key']).toBe('k2');
      await expect(registry.retrieval?.retrieve({ query: 'q', topK: 1 })).resolves.toMatchObject({ provider: 'llamaindex' });
      const offline = await registry.embedding.get('offline')?.embed({ model: 'm', input: ['x'] });
      expect(offline?.vectors[0]).toHaveLength(256);
    });
  });
});

describe('ProvidersConfigSchema', () => {
  test('defaults need no base URLs', () => {
    expect(ProvidersConfigSchema.parse({ openai: { apiKey: 'sk' } })).toEqual({ openai: { apiKey: 'sk' } });
  });

  test.each([
    ['a non-http base URL', { openai: { apiKey: 'sk', baseUrl: 'file:///etc/passwd' } }],
    ['an empty key', { anthropic: { apiKey: '' } }],
    ['an unknown section', { cohere: { apiKey: 'x' } }],
    ['llamaindex without pipelineId', { llamaindex: { apiKey: 'x' } }],
    ['local without baseUrl', { local: {} }],
  ])('refuses %s', (_label, config) => {
    expect(ProvidersConfigSchema.safeParse(config).success).toBe(false);
  });
});
