import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildCatalog } from '../../src/control-plane/ai-router';
import { ConversationStore, EmbeddingService, GraphStore, graphNodeId, VectorStore } from '../../src/control-plane/memory';
import { MemoryManager } from '../../src/control-plane/memory/memory-manager';
import { OfflineProvider, type EmbeddingProvider, type ProviderName } from '../../src/control-plane/providers';
import { MemoryKv } from '../../src/common/kv';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

interface EvalSet {
  memories: Array<{ id: string; type: string; userId: string; sessionId: string; text: string }>;
  queries: Array<{ id: string; userId: string; query: string; expected: string[]; kind: string }>;
}
const EVAL = JSON.parse(readFileSync(path.join(__dirname, '../fixtures/memory-eval.json'), 'utf8')) as EvalSet;

describe.each(DB_KINDS)('memory manager on %s (offline embedder)', (kind) => {
  let t: TestDb;
  let memory: MemoryManager;
  let graph: GraphStore;
  let conversations: ConversationStore;

  beforeAll(async () => {
    t = await openTestDb(kind);
    const embeddings = new EmbeddingService({ db: t.db, providers: new Map<ProviderName, EmbeddingProvider>([['offline', new OfflineProvider({ embeddingDimensions: 512 })]]), catalog: buildCatalog() }, { offlineDimensions: 512 });
    graph = new GraphStore(t.db);
    conversations = new ConversationStore({ db: t.db, kv: new MemoryKv(), logger: silentLogger() });
    memory = new MemoryManager({ db: t.db, vectors: new VectorStore({ db: t.db, logger: silentLogger() }), embeddings, graph, conversations });
  });
  afterAll(async () => {
    await t?.drop();
  });

  test('a near repeat updates the memory it repeats instead of adding one; a different fact is new', async () => {
    const first = await memory.remember({ text: 'The user prefers mastering Neon Dreams to -14 LUFS for Spotify.', userId: 'dup-u', type: 'preference' });
    expect(first.action).toBe('created');
    const again = await memory.remember({ text: 'The user prefers mastering "Neon Dreams" to -14 LUFS for Spotify!', userId: 'dup-u', type: 'preference', metadata: { source: 'chat' } });
    expect(again).toMatchObject({ action: 'updated', memory: { id: first.memory.id, metadata: { source: 'chat' } } });
    expect(again.similarity).toBeGreaterThanOrEqual(0.92);
    const other = await memory.remember({ text: 'Deploys to production happen on Tuesdays after the standup.', userId: 'dup-u', type: 'preference' });
    expect(other.action).toBe('created');
    // Another user's identical text is that user's own memory.
    expect((await memory.remember({ text: 'The user prefers mastering Neon Dreams to -14 LUFS for Spotify.', userId: 'dup-v', type: 'preference' })).action).toBe('created');
  });

  test('bad input names the field', async () => {
    await expect(memory.remember({ text: '   ', userId: 'u' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('body.text') });
    await expect(memory.recall({ query: 'x', userId: 'u', k: 500 })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('query.k') });
  });

  test('the retrieval evaluation set: recall@5 of vector + full-text fusion, scoped per user', async () => {
    for (const m of EVAL.memories) {
      const { memory: stored } = await memory.remember({ text: m.text, userId: `eval-${m.userId}`, sessionId: `eval-${m.sessionId}`, type: m.type, metadata: { evalId: m.id } });
      expect(stored.metadata.evalId).toBe(m.id);
    }
    let recallSum = 0;
    let reciprocal = 0;
    let scored = 0;
    const byKind = new Map<string, { sum: number; n: number }>();
    for (const q of EVAL.queries) {
      const hits = await memory.recall({ query: q.query, userId: `eval-${q.userId}`, k: 5 });
      // Scoping: nothing of another user ever comes back.
      expect(hits.every((h) => h.userId === `eval-${q.userId}`)).toBe(true);
      if (q.expected.length === 0) continue;
      const ids = hits.map((h) => h.metadata.evalId as string);
      const found = q.expected.filter((e) => ids.includes(e)).length / q.expected.length;
      const firstRank = ids.findIndex((id) => q.expected.includes(id));
      recallSum += found;
      reciprocal += firstRank >= 0 ? 1 / (firstRank + 1) : 0;
      scored++;
      const k = byKind.get(q.kind) ?? { sum: 0, n: 0 };
      byKind.set(q.kind, { sum: k.sum + found, n: k.n + 1 });
    }
    const recallAt5 = recallSum / scored;
    const mrr = reciprocal / scored;
    process.stdout.write(
      `memory eval (${kind}, offline embedder + full text): recall@5 ${recallAt5.toFixed(3)}, MRR ${mrr.toFixed(3)} over ${scored} queries; ` +
        [...byKind].map(([name, v]) => `${name} ${(v.sum / v.n).toFixed(2)}`).join(', ') +
        '\n',
    );
    expect(scored).toBeGreaterThanOrEqual(30);
    // The floor for a lexical embedder on paraphrases (measured 0.68 on both backends, MRR 0.53;
    // synonym queries share at most one content word with their memory and are the weak spot:
    // 0.55). A semantic provider embedding should lift it well above.
    expect(recallAt5).toBeGreaterThanOrEqual(0.6);
  });

  test('recall can expand through the graph to memories of the projects the hits\' sessions worked on', async () => {
    await memory.remember({ text: 'We chose a gated reverb on the snare during the mixdown session.', userId: 'graph-u', sessionId: 'graph-s1' });
    await memory.remember({ text: 'The label wants stems delivered as 24-bit WAV files.', userId: 'graph-u', projectId: 'p_neon' });
    await memory.remember({ text: 'Another project entirely: podcast intro jingle.', userId: 'graph-u', projectId: 'p_other' });
    await graph.recordWork({ userId: 'graph-u', sessionId: 'graph-s1', taskId: 'tsk_graph', agent: 'MixingEngineer', projectId: 'p_neon' });
    const plain = await memory.recall({ query: 'snare reverb', userId: 'graph-u', k: 1 });
    expect(plain.map((h) => h.content)).toEqual(['We chose a gated reverb on the snare during the mixdown session.']);
    const expanded = await memory.recall({ query: 'snare reverb', userId: 'graph-u', k: 1, expand: true });
    expect(expanded.map((h) => [h.content, h.via ?? null])).toEqual([
      ['We chose a gated reverb on the snare during the mixdown session.', null],
      ['The label wants stems delivered as 24-bit WAV files.', 'project:p_neon'],
    ]);
  });

  test('forget: one memory (only its owner), a session, and everything about a user', async () => {
    const a = await memory.remember({ text: 'Session one decided to use a sidechain compressor on the bass.', userId: 'erase-u', sessionId: 'erase-s1' });
    await memory.remember({ text: 'Session two chose a warmer reverb on the vocals.', userId: 'erase-u', sessionId: 'erase-s2' });
    const b = await memory.remember({ text: 'Monthly cloud budget is 900 EUR.', userId: 'erase-u' });
    await expect(memory.forget(a.memory.id, 'someone-else')).rejects.toMatchObject({ status: 404 });
    await memory.forget(a.memory.id, 'erase-u');
    await expect(memory.forget(a.memory.id, 'erase-u')).rejects.toMatchObject({ code: 'MEMORY_NOT_FOUND' });

    await conversations.append({ sessionId: 'erase-s2', userId: 'erase-u', messages: [{ role: 'user', content: 'make the reverb warmer' }] });
    expect(await memory.forgetSession('erase-s2')).toEqual({ memories: 1, messages: 1 });

    await graph.recordWork({ userId: 'erase-u', sessionId: 'erase-s3', taskId: 'tsk_erase', agent: 'MixingEngineer', projectId: 'p_erase' });
    const erased = await memory.forgetUser('erase-u');
    expect(erased).toMatchObject({ memories: 1, graphNodes: 3 });
    expect(erased.graphEdges).toBeGreaterThanOrEqual(3);
    expect(await memory.recall({ query: 'cloud budget', userId: 'erase-u' })).toEqual([]);
    expect(await graph.getNode(graphNodeId('user', 'erase-u'))).toBeUndefined();
    // Shared nodes (the agent, the project) stay.
    expect(await graph.getNode(graphNodeId('agent', 'MixingEngineer'))).toBeDefined();
    expect(b.memory.userId).toBe('erase-u');
  });
});
