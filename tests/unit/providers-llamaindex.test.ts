import { createLlamaCloudRetriever, ProviderError } from '../../src/control-plane/providers';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

const KEY = 'llx-test-key-abcdef';

describe('LlamaCloud pipeline retrieval', () => {
  let fake: FakeProvider;
  beforeEach(async () => {
    fake = await startFakeProvider('llamaindex');
  });
  afterEach(() => fake.close());
  const retriever = () => createLlamaCloudRetriever({ apiKey: KEY, baseUrl: fake.url, pipelineId: 'pipe-123' });

  test('POSTs query and dense_similarity_top_k with Bearer auth and maps retrieval_nodes', async () => {
    fake.setBehaviour({
      type: 'ok',
      nodes: [
        { text: 'The master bus is limited at -1 dBTP.', score: 0.82, metadata: { file_name: 'mastering.md', page: 3 } },
        { text: 'Stems are mixed at 48 kHz.', score: 0.61 },
      ],
    });
    const result = await retriever().retrieve({ query: 'true peak limit', topK: 2 });

    const [req] = fake.requests;
    expect(req?.path).toBe('/api/v1/pipelines/pipe-123/retrieve');
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body).toEqual({ query: 'true peak limit', dense_similarity_top_k: 2 });
    expect(result).toEqual({
      provider: 'llamaindex',
      nodes: [
        { text: 'The master bus is limited at -1 dBTP.', score: 0.82, metadata: { file_name: 'mastering.md', page: 3 } },
        { text: 'Stems are mixed at 48 kHz.', score: 0.61, metadata: {} },
      ],
    });
  });

  test('topK is clamped to the documented 1..100', async () => {
    await retriever().retrieve({ query: 'q', topK: 500 });
    await retriever().retrieve({ query: 'q', topK: 0 });
    expect(fake.requests.map((r) => (r.body as { dense_similarity_top_k: number }).dense_similarity_top_k)).toEqual([100, 1]);
  });

  test('a missing score is null', async () => {
    fake.setBehaviour({ type: 'ok', nodes: [{ text: 'no score here' }] });
    const result = await retriever().retrieve({ query: 'q', topK: 1 });
    expect(result.nodes).toEqual([{ text: 'no score here', score: null, metadata: {} }]);
  });

  test('401 is auth without the key; FastAPI detail is the message on 422', async () => {
    fake.setBehaviour({ type: 'error', status: 401, message: `Invalid API key ${KEY}` });
    const auth = await retriever().retrieve({ query: 'q', topK: 1 }).catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(ProviderError);
    expect(auth).toMatchObject({ kind: 'auth', provider: 'llamaindex' });
    expect((auth as ProviderError).message).not.toContain(KEY);

    fake.setBehaviour({ type: 'error', status: 422, message: 'query must not be empty' });
    await expect(retriever().retrieve({ query: '', topK: 1 })).rejects.toMatchObject({
      kind: 'bad_request',
      message: expect.stringContaining('query must not be empty'),
    });
  });

  test('malformed answer, timeout', async () => {
    fake.setBehaviour({ type: 'malformed' });
    await expect(retriever().retrieve({ query: 'q', topK: 1 })).rejects.toMatchObject({ kind: 'bad_response' });
    fake.setBehaviour({ type: 'hang' });
    await expect(retriever().retrieve({ query: 'q', topK: 1, timeoutMs: 100 })).rejects.toMatchObject({ kind: 'timeout' });
  });
});
