import { InvalidError } from '../../src/common/errors';
import { cosine, VectorStore, type MemoryFilter, type MemoryVectorInput, type VectorSearchStrategy } from '../../src/control-plane/memory';
import { pgvectorSearchQuery } from '../../src/control-plane/memory/vector-search-sql';
import { openTestDb, type TestDb } from '../helpers/db';
import { mulberry32 } from '../helpers/random';
import { waitFor } from '../helpers/agent-system';

const MODEL = 'test/model-a';
const OTHER_MODEL = 'test/model-b';

/** pglite with pgvector, pglite forced onto the fallback, and the bare server (fallback unless it has pgvector). */
const SETUPS = [
  { kind: 'pglite', strategy: 'auto' },
  { kind: 'pglite', strategy: 'exact-scan' },
  { kind: 'postgres', strategy: 'auto' },
] as const;

const row = (id: string, embedding: number[], extra: Partial<MemoryVectorInput> = {}): MemoryVectorInput => ({
  id,
  content: `memory ${id}`,
  embedding,
  model: MODEL,
  ...extra,
});

describe.each(SETUPS)('vector store on $kind ($strategy)', ({ kind, strategy }) => {
  let t: TestDb;
  let store: VectorStore;

  beforeAll(async () => {
    t = await openTestDb(kind);
    store = new VectorStore({ db: t.db }, { strategy });
  });
  afterAll(() => t.drop());
  beforeEach(() => t.db.exec('DELETE FROM memories'));

  const ids = async (embedding: number[], k: number, filter: MemoryFilter = {}, model = MODEL) =>
    (await store.search(embedding, { model, k, filter })).map((h) => h.id);

  test('uses pgvector where the database has it, else the exact scan', () => {
    const expected: VectorSearchStrategy = t.db.vector && strategy === 'auto' ? 'pgvector' : 'exact-scan';
    expect(store.strategy).toBe(expected);
    if (kind === 'pglite' && strategy === 'auto') expect(store.strategy).toBe('pgvector');
  });

  test('ranks by cosine similarity, best first, k at most', async () => {
    await store.upsert([
      row('west', [-1, 0, 0, 0]),
      row('north', [0, 1, 0, 0]),
      row('northeast', [1, 1, 0, 0]),
      row('east', [10, 0, 0, 0]), // length does not matter, direction does
      row('east-ish', [0.9, 0.1, 0, 0]),
    ]);
    const hits = await store.search([2, 0, 0, 0], { model: MODEL, k: 3 });
    expect(hits.map((h) => h.id)).toEqual(['east', 'east-ish', 'northeast']);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits[1]?.score).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 5);
    expect(hits[2]?.score).toBeCloseTo(Math.SQRT1_2, 5);
    expect(hits[0]).toMatchObject({ content: 'memory east', type: 'note', embeddingModel: MODEL, dimensions: 4, userId: null, metadata: {} });
    expect(await ids([1, 0, 0, 0], 10)).toEqual(['east', 'east-ish', 'northeast', 'north', 'west']);
  });

  test('filters by type, user, session, agent, project and creation time in the same query', async () => {
    const day = (d: number) => new Date(Date.UTC(2025, 0, d));
    await store.upsert([
      row('a', [1, 0, 0, 0], { userId: 'u1', sessionId: 's1', agent: 'mixer', projectId: 'p1', type: 'fact', createdAt: day(1) }),
      row('b', [0.9, 0.1, 0, 0], { userId: 'u1', sessionId: 's2', agent: 'writer', projectId: 'p1', type: 'preference', createdAt: day(2) }),
      row('c', [0.8, 0.2, 0, 0], { userId: 'u2', sessionId: 's3', agent: 'mixer', projectId: 'p2', type: 'fact', createdAt: day(3) }),
      row('d', [0.7, 0.3, 0, 0], { userId: 'u2', sessionId: 's3', agent: 'writer', type: 'fact', createdAt: day(4) }),
    ]);
    const q = [1, 0, 0, 0];
    expect(await ids(q, 10, { userId: 'u1' })).toEqual(['a', 'b']);
    expect(await ids(q, 10, { sessionId: 's3' })).toEqual(['c', 'd']);
    expect(await ids(q, 10, { type: 'fact' })).toEqual(['a', 'c', 'd']);
    expect(await ids(q, 10, { agent: 'writer' })).toEqual(['b', 'd']);
    expect(await ids(q, 10, { projectId: 'p1' })).toEqual(['a', 'b']);
    expect(await ids(q, 10, { createdAfter: day(2) })).toEqual(['c', 'd']);
    expect(await ids(q, 10, { createdBefore: day(3) })).toEqual(['a', 'b']);
    expect(await ids(q, 10, { type: 'fact', agent: 'mixer', createdAfter: day(1) })).toEqual(['c']);
    expect(await ids(q, 1, { userId: 'u2' })).toEqual(['c']);
    expect(await ids(q, 10, { userId: 'nobody' })).toEqual([]);
  });

  test('never compares vectors of another model or dimension', async () => {
    await store.upsert([
      row('a1', [1, 0, 0, 0]),
      row('b1', [1, 0, 0, 0], { model: OTHER_MODEL }),
      row('b2', [0, 1, 0, 0], { model: OTHER_MODEL }),
      row('a3d', [1, 0, 0]),
    ]);
    expect(await ids([1, 0, 0, 0], 10)).toEqual(['a1']);
    expect(await ids([1, 0, 0, 0], 10, {}, OTHER_MODEL)).toEqual(['b1', 'b2']);
    expect(await ids([1, 0, 0], 10)).toEqual(['a3d']);
    expect(await ids([1, 0, 0, 0, 0], 10)).toEqual([]);
  });

  test('upsert replaces by id, keeps created_at, stores unit vectors', async () => {
    const createdAt = new Date('2025-03-01T00:00:00Z');
    expect(await store.upsert(row('m', [3, 4, 0, 0], { createdAt, metadata: { tag: 'x' } }))).toBe(1);
    const first = await store.get('m');
    // Unit length, float32 exactly as stored.
    expect(first?.embedding).toEqual([0.6, 0.8, 0, 0].map((x) => Math.fround(x)));
    expect(first?.createdAt.toISOString()).toBe(createdAt.toISOString());
    expect(first?.contentHash).toMatch(/^[0-9a-f]{64}$/);
    await store.upsert(row('m', [0, 0, 1, 0], { content: 'changed', userId: 'u9', metadata: { tag: 'y' } }));
    const second = await store.get('m');
    expect(second).toMatchObject({ content: 'changed', userId: 'u9', metadata: { tag: 'y' }, embedding: [0, 0, 1, 0] });
    expect(second?.createdAt.toISOString()).toBe(createdAt.toISOString());
    expect(second!.updatedAt.getTime()).toBeGreaterThanOrEqual(first!.updatedAt.getTime());
    expect(second?.contentHash).not.toBe(first?.contentHash);
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.upsert([])).toBe(0);
  });

  test('deletes by id, by session and by user, returning counts', async () => {
    await store.upsert([
      row('1', [1, 0, 0, 0], { userId: 'u1', sessionId: 's1' }),
      row('2', [1, 1, 0, 0], { userId: 'u1', sessionId: 's1' }),
      row('3', [1, 0, 1, 0], { userId: 'u1', sessionId: 's2' }),
      row('4', [1, 0, 0, 1], { userId: 'u2', sessionId: 's3' }),
      row('5', [0, 1, 0, 1], { userId: 'u2' }),
    ]);
    expect(await store.delete('5')).toBe(1);
    expect(await store.delete(['5', 'nope'])).toBe(0);
    expect(await store.deleteBySession('s1')).toBe(2);
    expect(await store.deleteByUser('u1')).toBe(1);
    expect(await ids([1, 0, 0, 0], 10)).toEqual(['4']);
    expect(await store.deleteByUser('u2')).toBe(1);
    expect(await ids([1, 0, 0, 0], 10)).toEqual([]);
  });

  test('refuses bad input with the field named', async () => {
    const invalid = async (p: Promise<unknown>, field: string) => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidError);
      expect((err as Error).message).toContain(field);
    };
    await invalid(store.upsert(row('x', [1, 0, 0], { dimensions: 4 })), 'memories.0.dimensions');
    await invalid(store.upsert([row('ok', [1, 0]), row('x', [1, Number.NaN])]), 'memories.1.embedding.1');
    await invalid(store.upsert(row('x', [0, 0, 0])), 'memories.0.embedding');
    await invalid(store.upsert([row('x', [1, 0]), row('x', [0, 1])]), 'memories.1.id');
    await invalid(store.upsert(row('', [1])), 'memories.0.id');
    await invalid(store.search([1, 0, 0], { model: MODEL, dimensions: 1536 }), 'search.dimensions');
    await invalid(store.search([1, 0], { model: MODEL, k: 1001 }), 'search.k');
    await invalid(store.search([], { model: MODEL }), 'search.embedding');
    expect(await store.search([0, 0, 0], { model: MODEL })).toEqual([]);
    expect(await ids([1, 0, 0], 10)).toEqual([]);
  });

  test('randomized: the same ids as a brute-force cosine ranking', async () => {
    const random = mulberry32(kind === 'pglite' ? 8 : 9);
    const dims = 16;
    const vec = () => Array.from({ length: dims }, () => random() * 2 - 1);
    const users = ['u1', 'u2', 'u3'];
    const types = ['fact', 'preference'];
    const rows = Array.from({ length: 300 }, (_, i) =>
      row(`r${i}`, vec(), {
        model: i % 5 === 0 ? OTHER_MODEL : MODEL,
        userId: users[i % 3],
        type: types[Math.floor(random() * 2)],
      }),
    );
    await store.upsert(rows);
    // On PGlite the planner would scan 300 rows sequentially (exact); make it walk the HNSW graph.
    if (store.strategy === 'pgvector') await t.db.exec('SET enable_seqscan = off');
    try {
      for (let q = 0; q < 30; q++) {
        const query = vec();
        const k = 1 + Math.floor(random() * 15);
        const filter: MemoryFilter = q % 3 === 0 ? {} : q % 3 === 1 ? { userId: users[q % 3] } : { userId: users[q % 3], type: 'fact' };
        const hits = await store.search(query, { model: MODEL, k, filter });
        const expected = rows
          .filter((r) => r.model === MODEL && (!filter.userId || r.userId === filter.userId) && (!filter.type || r.type === filter.type))
          .map((r) => ({ id: r.id, score: cosine(query, r.embedding) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, k);
        expect(hits.map((h) => h.id)).toEqual(expected.map((e) => e.id));
        hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 5));
      }
    } finally {
      if (store.strategy === 'pgvector') await t.db.exec('RESET enable_seqscan');
    }
  });

  if (kind === 'pglite' && strategy === 'auto') {
    test('the HNSW index exists per dimension and serves the query', async () => {
      await store.upsert(Array.from({ length: 50 }, (_, i) => row(`e${i}`, [Math.cos(i), Math.sin(i), 1, i % 7])));
      const indexes = await t.db.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE indexname = 'memories_embedding_hnsw_4'");
      expect(indexes[0]?.indexdef).toMatch(/USING hnsw \(\(\(embedding\)::vector\(4\)\) vector_cosine_ops\) WHERE \(dimensions = 4\)/);
      expect(await store.ensureIndex(4)).toBe(true);
      const { text, params } = pgvectorSearchQuery(
        { embedding: [1, 0, 0, 0], model: MODEL, k: 5, filter: { userId: 'u1' } },
        [1, 0, 0, 0],
      );
      // At 50 rows (now with statistics) the planner rightly prefers scanning and sorting; forbid both to see the index chosen.
      await t.db.exec('SET enable_seqscan = off; SET enable_sort = off');
      try {
        const plan = (await t.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, params)).map((r) => r['QUERY PLAN']).join('\n');
        expect(plan).toContain('Index Scan using memories_embedding_hnsw_4');
        expect(plan).toMatch(/Order By: \(\(embedding\)::vector\(4\) <=>/);
      } finally {
        await t.db.exec('RESET enable_seqscan; RESET enable_sort');
      }
    });

    test('a selective filter still gets k rows through the index (iterative scan)', async () => {
      const random = mulberry32(3);
      await store.upsert(
        Array.from({ length: 400 }, (_, i) => row(`f${i}`, [random(), random(), random(), random()], { userId: i % 40 === 0 ? 'rare' : 'common' })),
      );
      await t.db.exec('SET enable_seqscan = off; SET enable_sort = off');
      try {
        expect(await ids([1, 1, 1, 1], 10, { userId: 'rare' })).toHaveLength(10);
      } finally {
        await t.db.exec('RESET enable_seqscan; RESET enable_sort');
      }
    });
  }
});

describe('planner statistics on the embedded database (no autovacuum there)', () => {
  const stats = async (t: TestDb) => {
    const [rel] = await t.db.query<{ n: number }>(`SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'memories'::regclass`);
    const cols = await t.db.query<{ attname: string }>(`SELECT attname FROM pg_stats WHERE tablename = 'memories' AND schemaname = current_schema()`);
    return { rows: rel!.n, columns: cols.map((c) => c.attname).sort() };
  };

  test('PGlite: 50 + 10 % changed rows start an ANALYZE of the filter columns (deletes count too)', async () => {
    const t = await openTestDb('pglite');
    try {
      const store = new VectorStore({ db: t.db });
      expect(store.statistics.enabled).toBe(true);
      // -1: never analyzed; the planner then assumes a tiny table whatever it holds.
      expect((await stats(t)).rows).toBe(-1);
      await store.upsert(Array.from({ length: 30 }, (_, i) => row(`s${i}`, [1, i + 1, 0, 0], { userId: `u${i % 3}` })));
      await store.statistics.refresh();
      // refresh() runs now whatever the count: a fresh layer analyses once at start.
      expect(await stats(t)).toEqual({ rows: 30, columns: ['agent', 'created_at', 'dimensions', 'embedding_model', 'project_id', 'session_id', 'type', 'user_id'] });

      // Below the threshold (50 + 3 = 53 changes) nothing runs.
      await store.upsert(Array.from({ length: 40 }, (_, i) => row(`t${i}`, [0, 1, i + 1, 0])));
      expect((await stats(t)).rows).toBe(30);
      // 40 + 20 deleted = 60 ≥ 53: an ANALYZE starts in the background.
      await store.delete(Array.from({ length: 20 }, (_, i) => `t${i}`));
      await waitFor(async () => (await stats(t)).rows === 50 || undefined, 10_000, 'the background ANALYZE');
    } finally {
      await t.drop();
    }
  });

  test('server PostgreSQL has autovacuum: nothing is run', async () => {
    const t = await openTestDb('postgres');
    try {
      const store = new VectorStore({ db: t.db });
      expect(store.statistics.enabled).toBe(false);
      await store.upsert(Array.from({ length: 60 }, (_, i) => row(`p${i}`, [1, i + 1, 0, 0])));
      await store.statistics.refresh();
      // last_analyze is a manual ANALYZE's time (autovacuum sets last_autoanalyze instead).
      const [seen] = await t.db.query<{ manual: string | null }>(
        `SELECT last_analyze::text AS manual FROM pg_stat_user_tables WHERE relname = 'memories' AND schemaname = current_schema()`,
      );
      expect(seen).toEqual({ manual: null });
    } finally {
      await t.drop();
    }
  });
});
