import { InvalidError, UnavailableError } from '../../src/common/errors';
import { buildCatalog, type CatalogModel } from '../../src/control-plane/ai-router';
import { cosine, EmbeddingDimensionError, EmbeddingService, type EmbeddingServiceOptions } from '../../src/control-plane/memory';
import {
  createProviderRegistry,
  OfflineProvider,
  ProviderError,
  type EmbeddingProvider,
  type EmbeddingRequest,
  type EmbeddingResult,
  type ProviderName,
} from '../../src/control-plane/providers';
import type { Db } from '../../src/common/db';
import type { Logger } from '../../src/common/logger';
import { contentHash } from '../../src/control-plane/memory/content-hash';
import { EmbeddingCache } from '../../src/control-plane/memory/embedding-cache';
import { openTestDb, type TestDb } from '../helpers/db';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

const { hypot } = Math;
const norm = (v: number[]) => hypot(...v);

/** A catalog whose model `key` declares `dimensions` (the fakes answer small vectors). */
function catalogWith(key: string, dimensions: number): Map<string, CatalogModel> {
  const catalog = new Map(buildCatalog());
  catalog.set(key, { ...catalog.get(key)!, dimensions });
  return catalog;
}

/** An in-process embedding provider that records each call and can be told to fail. */
class RecordingProvider implements EmbeddingProvider {
  readonly name = 'mistral' as const;
  readonly calls: string[][] = [];
  readonly failures: ProviderError[] = [];
  dimensions = 4;

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    this.calls.push(request.input);
    const failure = this.failures.shift();
    if (failure) throw failure;
    // Unnormalised on purpose, and a function of the text only.
    const vector = (text: string) => [text.length, (text.match(/[aeiou]/g) ?? []).length, 1, 2].slice(0, this.dimensions);
    return { provider: this.name, model: request.model, vectors: request.input.map(vector), usage: { inputTokens: 1, outputTokens: 0, estimated: false } };
  }
}

describe('embedding service', () => {
  let t: TestDb;
  let provider: RecordingProvider;
  const service = (options: EmbeddingServiceOptions = {}) =>
    new EmbeddingService(
      { db: t.db, providers: new Map<ProviderName, EmbeddingProvider>([['mistral', provider], ['offline', new OfflineProvider()]]), catalog: catalogWith('mistral-embed', 4), sleep: async () => undefined },
      options,
    );

  beforeAll(async () => {
    t = await openTestDb('pglite');
  });
  afterAll(() => t.drop());
  beforeEach(async () => {
    provider = new RecordingProvider();
    await t.db.exec('DELETE FROM embedding_cache');
  });

  test('picks the configured provider’s model over offline, and names it provider/model', () => {
    const s = service();
    expect(s.model).toEqual({ key: 'mistral-embed', provider: 'mistral', providerModel: 'mistral-embed', id: 'mistral/mistral-embed', dimensions: 4 });
    expect(service({ model: 'offline-embed' }).model.id).toBe('offline/offline-embed-v1');
    expect(() => service({ model: 'gpt-4o-mini' })).toThrow(InvalidError);
    expect(() => service({ model: 'text-embedding-3-small' })).toThrow(/openai provider, which is not configured/);
  });

  test('vectors are unit length, in input order, and a text repeated in one call is embedded once', async () => {
    const texts = ['banana', 'kiwi', 'banana', 'fig', 'kiwi'];
    const result = await service().embed(texts);
    expect(provider.calls).toEqual([['banana', 'kiwi', 'fig']]);
    expect(result).toMatchObject({ model: 'mistral/mistral-embed', dimensions: 4, cached: 0, embedded: 3 });
    expect(result.vectors).toHaveLength(5);
    for (const v of result.vectors) expect(norm(v)).toBeCloseTo(1, 6);
    expect(result.vectors[2]).toEqual(result.vectors[0]);
    expect(result.vectors[4]).toEqual(result.vectors[1]);
    const banana = [6, 3, 1, 2];
    expect(cosine(result.vectors[0]!, banana)).toBeCloseTo(1, 6);
    expect(await service().embed([])).toMatchObject({ vectors: [], embedded: 0 });
  });

  test('splits misses into batches by count and by characters', async () => {
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    await service({ batch: { maxTexts: 3 } }).embed(texts);
    expect(provider.calls.map((c) => c.length)).toEqual([3, 3, 3, 1]);
    expect(provider.calls.flat()).toEqual(texts);

    provider.calls.length = 0;
    const long = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40), 'd'.repeat(250), 'e'.repeat(10)];
    await service({ batch: { maxChars: 100 } }).embed(long);
    expect(provider.calls.map((c) => c.map((x) => x[0]).join(''))).toEqual(['ab', 'c', 'd', 'e']);
  });

  test('only cache misses reach the provider; the cache is shared through the database', async () => {
    const first = await service().embed(['alpha', 'beta']);
    const second = await service().embed(['beta', 'gamma', 'alpha']);
    expect(provider.calls).toEqual([['alpha', 'beta'], ['gamma']]);
    expect(second).toMatchObject({ cached: 2, embedded: 1 });
    // A cached vector is exactly the fresh one (both float32 precision).
    expect(second.vectors[0]).toEqual(first.vectors[1]);
    expect(second.vectors[2]).toEqual(first.vectors[0]);
    const rows = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM embedding_cache WHERE model = 'mistral/mistral-embed'");
    expect(rows[0]?.n).toBe(3);
  });

  test('a hit refreshes the entry at most once a day; entries unused for MEMORY_EMBEDDING_CACHE_DAYS are deleted', async () => {
    const usedAt = async (text: string) =>
      (await t.db.query<{ age: number }>("SELECT extract(epoch FROM now() - used_at)::float8 AS age FROM embedding_cache WHERE content_hash = $1", [contentHash(text)]))[0]?.age;
    const age = (text: string, interval: string) => t.db.query(`UPDATE embedding_cache SET used_at = now() - $2::interval WHERE content_hash = $1`, [contentHash(text), interval]);
    await service({ cacheDays: 30 }).embed(['recent', 'stale', 'revived', 'dozing']);
    await age('recent', '2 hours');
    await age('stale', '31 days');
    await age('revived', '31 days');
    await age('dozing', '29 days');
    provider.calls.length = 0;

    // Hits: 'revived' is refreshed; 'recent' (used two hours ago) is not written again.
    expect(await service({ cacheDays: 30 }).embed(['revived', 'recent'])).toMatchObject({ cached: 2, embedded: 0 });
    expect(await usedAt('revived')).toBeLessThan(60);
    expect(await usedAt('recent')).toBeGreaterThan(7_000);

    // The next write of a fresh instance prunes what nobody used for 30 days.
    await service({ cacheDays: 30 }).embed(['new']);
    const left = await t.db.query<{ content_hash: string }>('SELECT content_hash FROM embedding_cache');
    expect(new Set(left.map((r) => r.content_hash))).toEqual(new Set(['recent', 'revived', 'dozing', 'new'].map(contentHash)));
    expect(provider.calls).toEqual([['new']]);

    // 0 keeps everything.
    await age('dozing', '10 years');
    await service({ cacheDays: 0 }).embed(['newer']);
    expect(await usedAt('dozing')).toBeGreaterThan(300_000_000);
  });

  test('a prune that fails is logged and does not fail the write that triggered it', async () => {
    const failing = Object.assign(Object.create(t.db) as Db, {
      query: (sql: string, params?: unknown[]) => (sql.includes('DELETE FROM embedding_cache') ? Promise.reject(new Error('disk full')) : t.db.query(sql, params)),
    });
    const warnings: unknown[][] = [];
    const logger = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as Logger;
    const cache = new EmbeddingCache(failing, { ttlDays: 1, logger });
    await expect(cache.put('m', 2, [{ hash: 'h1', vector: [0.6, 0.8] }])).resolves.toBeUndefined();
    expect(warnings).toEqual([['embedding cache prune failed', { reason: 'disk full' }]]);
    expect((await cache.get('m', 2, ['h1'])).get('h1')).toEqual([0.6, 0.8].map(Math.fround));
  });

  test('vectors of another size than the model declares are refused and not cached', async () => {
    provider.dimensions = 3;
    const err = await service().embed(['one']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddingDimensionError);
    expect(err).toMatchObject({ status: 502, code: 'EMBEDDING_DIMENSION_MISMATCH', details: { expected: 4, actual: 3 } });
    expect(await t.db.query('SELECT 1 FROM embedding_cache')).toEqual([]);
  });

  test('retryable provider errors are retried a bounded number of times; others fail at once', async () => {
    provider.failures.push(new ProviderError('mistral', 'server', 'boom', { status: 503 }));
    expect((await service().embed(['x'])).vectors).toHaveLength(1);
    expect(provider.calls).toHaveLength(2);

    provider.calls.length = 0;
    provider.failures.push(new ProviderError('mistral', 'bad_request', 'too long', { status: 400 }));
    await expect(service().embed(['y'])).rejects.toMatchObject({ code: 'EMBEDDING_PROVIDER_FAILED', details: { kind: 'bad_request' } });
    expect(provider.calls).toHaveLength(1);

    provider.calls.length = 0;
    for (let i = 0; i < 3; i++) provider.failures.push(new ProviderError('mistral', 'rate_limited', 'slow down', { status: 429, retryAfterMs: 2_000 }));
    const err = await service({ maxAttempts: 3 }).embed(['z']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect(err).toMatchObject({ retryAfterSeconds: 2, message: expect.stringContaining('after 3 attempt(s)') });
    expect(provider.calls).toHaveLength(3);
  });

  test('input is validated', async () => {
    await expect(service().embed([1 as unknown as string])).rejects.toThrow(/texts\.0/);
  });
});

/** Each provider's embedding endpoint as the fake records it, and how it carries the texts. */
const WIRE = [
  { kind: 'openai', key: 'text-embedding-3-small', id: 'openai/text-embedding-3-small', path: '/v1/embeddings', texts: (b: any) => b.input, model: (b: any) => b.model },
  { kind: 'mistral', key: 'mistral-embed', id: 'mistral/mistral-embed', path: '/v1/embeddings', texts: (b: any) => b.input, model: (b: any) => b.model },
  {
    kind: 'google', key: 'gemini-embedding', id: 'google/text-embedding-004', path: '/v1beta/models/text-embedding-004:batchEmbedContents',
    texts: (b: any) => b.requests.map((r: any) => r.content.parts[0].text), model: (b: any) => b.requests[0].model,
  },
  { kind: 'local', key: 'local-embed', id: 'local/nomic-embed-text', path: '/v1/embeddings', texts: (b: any) => b.input, model: (b: any) => b.model },
] as const;

describe.each(WIRE)('embedding service against a fake $kind server (real wire format)', (wire) => {
  let t: TestDb;
  let fake: FakeProvider;
  const registry = () => {
    const hosted = { apiKey: 'sk-test', baseUrl: fake.url };
    return createProviderRegistry(wire.kind === 'local' ? { local: { baseUrl: fake.url } } : { [wire.kind]: hosted }).embedding;
  };
  // LOCAL_EMBEDDING_MODEL adds `local-embed`; the fakes answer 3-dimensional vectors.
  const catalog = (dimensions: number) => {
    const base = buildCatalog({ localEmbedding: wire.kind === 'local' ? { model: 'nomic-embed-text', dimensions: 768 } : undefined });
    const c = new Map(base);
    c.set(wire.key, { ...c.get(wire.key)!, dimensions });
    return c;
  };

  beforeAll(async () => {
    t = await openTestDb('pglite');
    fake = await startFakeProvider(wire.kind);
  });
  afterAll(async () => {
    await fake.close();
    await t.drop();
  });

  test('is chosen over offline, embeds once per distinct text in input order, then serves from the cache', async () => {
    const service = new EmbeddingService({ db: t.db, providers: registry(), catalog: catalog(3) });
    expect(service.model.id).toBe(wire.id);
    const first = await service.embed(['x', 'yy', 'x']);
    expect(fake.requests).toHaveLength(1);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe(wire.path);
    expect(wire.texts(sent.body)).toEqual(['x', 'yy']);
    expect(String(wire.model(sent.body))).toContain(service.model.providerModel);
    // The fake answers [index + 1, text length, 0.5]: in input order, unit length after normalising.
    const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
    expect(first.vectors[0]).toEqual(unit([1, 1, 0.5]).map(Math.fround));
    expect(first.vectors[1]).toEqual(unit([2, 2, 0.5]).map(Math.fround));
    expect(first.vectors[2]).toEqual(first.vectors[0]);
    const again = await service.embed(['yy', 'x']);
    expect(fake.requests).toHaveLength(1);
    expect(again).toMatchObject({ cached: 2, embedded: 0, vectors: [first.vectors[1], first.vectors[0]] });
    await service.embed(['zzz', 'x']);
    expect(fake.requests).toHaveLength(2);
    expect(wire.texts(fake.requests[1]!.body)).toEqual(['zzz']);
  });

  test('the catalog’s real dimension differs from the fake’s 3: a configuration error, nothing cached', async () => {
    const service = new EmbeddingService({ db: t.db, providers: registry(), catalog: catalog(wire.kind === 'local' ? 768 : buildCatalog().get(wire.key)!.dimensions!) });
    const cached = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM embedding_cache WHERE model = $1', [wire.id]))[0]!.n;
    const before = await cached();
    await expect(service.embed(['a text never embedded'])).rejects.toBeInstanceOf(EmbeddingDimensionError);
    expect(fake.requests.at(-1)?.path).toBe(wire.path);
    expect(await cached()).toBe(before);
  });

  test('a provider error status fails the call with the provider’s kind', async () => {
    fake.setBehaviour({ type: 'error', status: 400 });
    const service = new EmbeddingService({ db: t.db, providers: registry(), catalog: catalog(3) });
    await expect(service.embed(['rejected text'])).rejects.toMatchObject({ code: 'EMBEDDING_PROVIDER_FAILED', details: { kind: 'bad_request' } });
    fake.setBehaviour({ type: 'ok' });
  });
});

describe('embedding service offline (no provider configured)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pglite');
  });
  afterAll(() => t.drop());

  const offline = (dimensions?: number) =>
    new EmbeddingService(
      { db: t.db, providers: createProviderRegistry({ offline: { embeddingDimensions: dimensions } }).embedding, catalog: buildCatalog() },
      { offlineDimensions: dimensions },
    );

  test('is the default, deterministic, and not cached', async () => {
    const service = offline();
    expect(service.model).toMatchObject({ id: 'offline/offline-embed-v1', dimensions: 1536 });
    const a = await service.embed(['Mix the drums louder', 'Write lyrics about rain']);
    const b = await offline().embed(['Mix the drums louder', 'Write lyrics about rain']);
    expect(b.vectors).toEqual(a.vectors);
    expect(a.vectors[0]).toHaveLength(1536);
    expect(norm(a.vectors[0]!)).toBeCloseTo(1, 6);
    expect(await t.db.query('SELECT 1 FROM embedding_cache')).toEqual([]);
    expect((await offline(64).embedOne('ok'))).toHaveLength(64);
  });

  test('a paraphrase sharing words scores above an unrelated sentence', async () => {
    const [query, paraphrase, unrelated] = (
      await offline().embed(['The vocals in the chorus are too loud', 'Turn down the loud chorus vocals', 'Book a flight to Paris next Tuesday'])
    ).vectors as [number[], number[], number[]];
    expect(cosine(query, paraphrase)).toBeGreaterThan(0.4);
    expect(cosine(query, unrelated)).toBeLessThan(0.1);
  });
});
