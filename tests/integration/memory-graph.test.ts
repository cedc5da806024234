import type { Db } from '../../src/common/db';
import { ConflictError, InvalidError, NotFoundError } from '../../src/common/errors';
import { GraphStore, graphNodeId } from '../../src/control-plane/memory/graph';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';

/** The graph store on each database: upserts, neighbours, traversal, shortest path, deletes, the work recorder. */

const count = async (db: Db, sql: string) => Number((await db.query<{ n: number | string }>(sql))[0]!.n);
const danglingEdges = (db: Db) =>
  count(db, 'SELECT count(*) AS n FROM graph_edges e WHERE NOT EXISTS (SELECT 1 FROM graph_nodes n WHERE n.id = e.from_id) OR NOT EXISTS (SELECT 1 FROM graph_nodes n WHERE n.id = e.to_id)');

describe.each(DB_KINDS)('graph store on %s', (kind) => {
  let testDb: TestDb;
  let graph: GraphStore;

  // One database per backend (starting PGlite costs seconds); each test starts from an empty graph.
  beforeAll(async () => {
    testDb = await openTestDb(kind);
  });
  afterAll(async () => {
    await testDb.drop();
  });
  beforeEach(async () => {
    await testDb.db.exec('TRUNCATE graph_edges, graph_nodes');
    graph = new GraphStore(testDb.db);
  });

  /** Task nodes t:<name> linked by `type` edges given as "a>b". */
  async function build(links: string[], type = 'next'): Promise<void> {
    const ids = [...new Set(links.flatMap((l) => l.split('>')))];
    await graph.upsertNodes(ids.map((id) => ({ id, kind: 'task' })));
    await graph.upsertEdges(links.map((l) => ({ from: l.split('>')[0]!, to: l.split('>')[1]!, type })));
  }

  describe('upserts', () => {
    it('are idempotent: a label is kept unless given, properties merge, kinds never change', async () => {
      const first = await graph.upsertNode({ id: 'user:1', kind: 'user', label: 'Ada', properties: { userId: '1', plan: 'free' } });
      expect(first).toMatchObject({ id: 'user:1', kind: 'user', label: 'Ada', properties: { userId: '1', plan: 'free' } });
      const again = await graph.upsertNodes([
        { id: 'user:1', kind: 'user', properties: { plan: 'pro' } },
        { id: 'project:p', kind: 'project' },
        { id: 'user:1', kind: 'user', properties: { tz: 'UTC' } },
      ]);
      expect(again.map((n) => n.id)).toEqual(['user:1', 'project:p']);
      expect(again[0]).toMatchObject({ label: 'Ada', properties: { userId: '1', plan: 'pro', tz: 'UTC' }, createdAt: first.createdAt });
      expect(again[1]).toMatchObject({ label: 'project:p', properties: {} });
      expect(await count(testDb.db, 'SELECT count(*) AS n FROM graph_nodes')).toBe(2);

      await expect(graph.upsertNodes([{ id: 'agent:x', kind: 'agent' }, { id: 'user:1', kind: 'project' }])).rejects.toThrow(ConflictError);
      expect(await graph.getNode('agent:x')).toBeUndefined(); // all or none
      expect((await graph.getNode('user:1'))?.kind).toBe('user');
    });

    it('write edges once, merge their properties, and refuse unknown ends', async () => {
      await build(['a>b']);
      const edge = await graph.upsertEdge({ from: 'a', to: 'b', type: 'next', properties: { weight: 2 } });
      expect(edge).toMatchObject({ from: 'a', to: 'b', type: 'next', properties: { weight: 2 } });
      await graph.upsertEdges([{ from: 'a', to: 'b', type: 'next' }, { from: 'a', to: 'b', type: 'next', properties: { seen: true } }]);
      expect(await count(testDb.db, 'SELECT count(*) AS n FROM graph_edges')).toBe(1);
      expect((await graph.neighbours('a'))[0]!.edge.properties).toEqual({ weight: 2, seen: true });

      const missing = await graph.upsertEdges([{ from: 'a', to: 'ghost', type: 'next' }]).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(NotFoundError);
      expect((missing as NotFoundError).details).toEqual({ ids: ['ghost'] });
    });

    it('validate their input', async () => {
      await expect(graph.upsertNode({ id: 'x', kind: 'Not A Kind' })).rejects.toThrow(InvalidError);
      await expect(graph.upsertNode({ id: '', kind: 'task' })).rejects.toThrow(/nodes\.0\.id/);
      await expect(graph.upsertNode({ id: 'x'.repeat(257), kind: 'task' })).rejects.toThrow(InvalidError);
      await expect(graph.upsertEdge({ from: 'a', to: 'a', type: 'next' })).rejects.toThrow(/cannot link to itself/);
      await expect(graph.upsertNode({ id: 'x', kind: 'task', properties: { big: 'y'.repeat(20_000) } })).rejects.toThrow(/bytes/);
      await expect(graph.traverse('a', { depth: 7 })).rejects.toThrow(/query\.depth/);
      await expect(graph.neighbours('a', { limit: 0 })).rejects.toThrow(InvalidError);
      await expect(graph.deleteByProperties({})).rejects.toThrow(InvalidError);
    });
  });

  it('neighbours by direction and type', async () => {
    await build(['a>b', 'c>a']);
    await graph.upsertEdges([{ from: 'a', to: 'c', type: 'other' }]);
    const ids = (ns: Awaited<ReturnType<GraphStore['neighbours']>>) => ns.map((n) => `${n.direction}:${n.edge.type}:${n.node.id}`).sort();
    expect(ids(await graph.neighbours('a', { direction: 'out' }))).toEqual(['out:next:b', 'out:other:c']);
    expect(ids(await graph.neighbours('a', { direction: 'in' }))).toEqual(['in:next:c']);
    expect(ids(await graph.neighbours('a'))).toEqual(['in:next:c', 'out:next:b', 'out:other:c']);
    expect(ids(await graph.neighbours('a', { types: ['next'] }))).toEqual(['in:next:c', 'out:next:b']);
    expect(await graph.neighbours('a', { limit: 2 })).toHaveLength(2);
    expect(await graph.neighbours('b', { direction: 'out' })).toEqual([]);
    await expect(graph.neighbours('ghost')).rejects.toThrow(NotFoundError);
  });

  describe('traversal', () => {
    // a → b → c → a (a cycle), c → d → e → f, and x → a coming in.
    beforeEach(() => build(['a>b', 'b>c', 'c>a', 'c>d', 'd>e', 'e>f', 'x>a']));
    const reached = (t: Awaited<ReturnType<GraphStore['traverse']>>) => t.nodes.map((n) => `${n.node.id}${n.depth}`);

    it('stops at the depth limit and reports each node once, at its shortest depth, through cycles', async () => {
      expect(reached(await graph.traverse('a', { depth: 1 }))).toEqual(['a0', 'b1']);
      expect(reached(await graph.traverse('a', { depth: 2 }))).toEqual(['a0', 'b1', 'c2']);
      const deep = await graph.traverse('a', { depth: 6 });
      expect(reached(deep)).toEqual(['a0', 'b1', 'c2', 'd3', 'e4', 'f5']);
      expect(deep.truncated).toBe(false);
      expect(deep.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual(['a>b', 'b>c', 'c>a', 'c>d', 'd>e', 'e>f']);
    });

    it('follows the asked direction and edge types', async () => {
      expect(reached(await graph.traverse('a', { depth: 2, direction: 'in' }))).toEqual(['a0', 'c1', 'x1', 'b2']);
      expect(reached(await graph.traverse('d', { depth: 2, direction: 'both' }))).toEqual(['d0', 'c1', 'e1', 'a2', 'b2', 'f2']);
      await graph.upsertEdges([{ from: 'a', to: 'f', type: 'shortcut' }]);
      expect(reached(await graph.traverse('a', { depth: 1, types: ['shortcut'] }))).toEqual(['a0', 'f1']);
    });

    it('caps the nodes returned and says so', async () => {
      const capped = await graph.traverse('a', { depth: 6, limit: 3 });
      expect(reached(capped)).toEqual(['a0', 'b1', 'c2']);
      expect(capped.truncated).toBe(true);
      const budget = await new GraphStore(testDb.db, { walkBudget: 3 }).traverse('a', { depth: 6 });
      expect(reached(budget)).toEqual(['a0', 'b1', 'c2']);
      expect(budget.truncated).toBe(true);
      await expect(graph.traverse('ghost')).rejects.toThrow(NotFoundError);
    });
  });

  describe('shortest path', () => {
    it('chooses the shorter of two routes and returns its nodes and edges in order', async () => {
      await build(['s>a1', 'a1>a2', 'a2>a3', 'a3>t', 's>b1', 'b1>b2', 'b2>t']);
      const path = await graph.shortestPath('s', 't', { direction: 'out' });
      expect(path?.nodes.map((n) => n.id)).toEqual(['s', 'b1', 'b2', 't']);
      expect(path?.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['s>b1', 'b1>b2', 'b2>t']);
      expect(path?.length).toBe(3);
      await graph.upsertEdges([{ from: 'a1', to: 't', type: 'next' }]);
      expect((await graph.shortestPath('s', 't'))?.nodes.map((n) => n.id)).toEqual(['s', 'a1', 't']);
    });

    it('answers null when there is none, or none within the depth; direction matters', async () => {
      await build(['a>b', 'b>c', 'c>d', 'q>r']);
      expect(await graph.shortestPath('a', 'r')).toBeNull();
      expect(await graph.shortestPath('a', 'd', { maxDepth: 2 })).toBeNull();
      expect((await graph.shortestPath('a', 'd', { maxDepth: 3 }))?.length).toBe(3);
      expect(await graph.shortestPath('d', 'a', { direction: 'out' })).toBeNull();
      const back = await graph.shortestPath('d', 'a', { direction: 'both' });
      expect(back?.nodes.map((n) => n.id)).toEqual(['d', 'c', 'b', 'a']);
      expect(back?.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['c>d', 'b>c', 'a>b']);
      expect(await graph.shortestPath('d', 'a', { direction: 'in' })).not.toBeNull();
      expect(await graph.shortestPath('a', 'ghost')).toBeNull();
      const self = await graph.shortestPath('a', 'a');
      expect(self).toMatchObject({ length: 0, edges: [] });
      expect(self?.nodes.map((n) => n.id)).toEqual(['a']);
    });

    it('stays polynomial on a dense graph with cycles (no path enumeration)', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `k${i}`);
      await graph.upsertNodes([...ids, 'island'].map((id) => ({ id, kind: 'task' })));
      const links = ids.flatMap((a) => ids.filter((b) => b !== a).map((b) => ({ from: a, to: b, type: 'next' })));
      for (let i = 0; i < links.length; i += 1_000) await graph.upsertEdges(links.slice(i, i + 1_000));
      const started = Date.now();
      expect(await graph.shortestPath('k0', 'island', { maxDepth: 6 })).toBeNull(); // 40^6 simple walks if enumerated
      const all = await graph.traverse('k0', { depth: 6, direction: 'both', limit: 1_000 });
      expect(all.nodes).toHaveLength(40);
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  });

  describe('deletes', () => {
    it('a node with its edges, by cascade, leaving none dangling', async () => {
      await build(['a>b', 'b>c', 'c>a', 'b>d']);
      const removed = await graph.deleteNode('b');
      expect(removed?.node.id).toBe('b');
      expect(removed?.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>b', 'b>c', 'b>d']);
      expect(await count(testDb.db, 'SELECT count(*) AS n FROM graph_edges')).toBe(1);
      expect(await danglingEdges(testDb.db)).toBe(0);
      expect(await graph.deleteNode('b')).toBeUndefined();
      expect(await graph.deleteEdge({ from: 'c', type: 'next', to: 'a' })).toBe(true);
      expect(await graph.deleteEdge({ from: 'c', type: 'next', to: 'a' })).toBe(false);
    });

    it("by property: a user's erase takes their nodes and edges, not the shared agent and project", async () => {
      await graph.recordWork({ userId: 'u1', sessionId: 's1', taskId: 't1', agent: 'music', projectId: 'p' });
      await graph.recordWork({ userId: 'u1', sessionId: 's1', taskId: 't2', agent: 'music', projectId: 'p' });
      await graph.recordWork({ userId: 'u2', sessionId: 's2', taskId: 't3', agent: 'music', projectId: 'p' });
      const erased = await graph.deleteByProperties({ userId: 'u1' });
      expect(erased.nodeIds).toEqual(['session:s1', 'task:t1', 'task:t2', 'user:u1']);
      expect(erased.edges).toBe(7); // started, 2 requested, 2 handled_by, 2 worked_on
      expect(await danglingEdges(testDb.db)).toBe(0);
      expect(await graph.getNode('agent:music')).toBeDefined();
      expect((await graph.shortestPath('user:u2', 'project:p', { direction: 'out' }))?.length).toBe(3);
      expect(await graph.deleteByProperties({ userId: 'u1' })).toEqual({ nodeIds: [], edges: 0 });
    });
  });

  describe('recordWork', () => {
    it('records user → session → task → agent/project/track, traversable from the user to the project', async () => {
      const work = { userId: 'u1', sessionId: 's1', taskId: 't1', agent: 'music', projectId: 'album', trackId: 'song' };
      const first = await graph.recordWork(work);
      expect(first.edges.map((e) => `${e.from} -${e.type}-> ${e.to}`).sort()).toEqual([
        'session:s1 -requested-> task:t1',
        'task:t1 -handled_by-> agent:music',
        'task:t1 -worked_on-> project:album',
        'task:t1 -worked_on-> track:song',
        'track:song -part_of-> project:album',
        'user:u1 -started-> session:s1',
      ]);
      await graph.recordWork(work);
      expect(await count(testDb.db, 'SELECT count(*) AS n FROM graph_nodes')).toBe(6);
      expect(await count(testDb.db, 'SELECT count(*) AS n FROM graph_edges')).toBe(6);

      const path = await graph.shortestPath(graphNodeId('user', 'u1'), graphNodeId('project', 'album'), { direction: 'out' });
      expect(path?.nodes.map((n) => n.kind)).toEqual(['user', 'session', 'task', 'project']);
      const reach = await graph.traverse('user:u1', { depth: 3 });
      expect(reach.nodes.map((n) => n.node.id)).toEqual(['user:u1', 'session:s1', 'task:t1', 'agent:music', 'project:album', 'track:song']);
      expect((await graph.getNode('task:t1'))?.properties).toEqual({ userId: 'u1' });
      expect((await graph.getNode('agent:music'))?.properties).toEqual({});
    });

    it("with visibleTo, reads neither return nor walk through another user's nodes", async () => {
      await graph.recordWork({ userId: 'u1', sessionId: 's1', taskId: 't1', agent: 'music', projectId: 'p' });
      await graph.recordWork({ userId: 'u2', sessionId: 's2', taskId: 't2', agent: 'music', projectId: 'p' });
      const ids = (t: Awaited<ReturnType<GraphStore['traverse']>>) => t.nodes.map((n) => n.node.id);
      // Unscoped, the shared agent links the two users.
      expect(ids(await graph.traverse('user:u1', { depth: 6, direction: 'both' }))).toContain('user:u2');
      expect((await graph.shortestPath('user:u1', 'user:u2', { maxDepth: 6 }))?.length).toBe(6);

      const mine = await graph.traverse('user:u1', { depth: 6, direction: 'both', visibleTo: 'u1' });
      expect(ids(mine).sort()).toEqual(['agent:music', 'project:p', 'session:s1', 'task:t1', 'user:u1']);
      expect(mine.edges.every((e) => !e.from.endsWith('2') && !e.to.endsWith('2'))).toBe(true);
      expect((await graph.neighbours('agent:music', { direction: 'in', visibleTo: 'u1' })).map((n) => n.node.id)).toEqual(['task:t1']);
      expect(await graph.shortestPath('user:u1', 'user:u2', { maxDepth: 6, visibleTo: 'u1' })).toBeNull();
      expect(await graph.shortestPath('user:u2', 'project:p', { visibleTo: 'u1' })).toBeNull();
      expect((await graph.shortestPath('user:u1', 'project:p', { visibleTo: 'u1' }))?.length).toBe(3);
      await expect(graph.neighbours('user:u2', { visibleTo: 'u1' })).rejects.toThrow(NotFoundError);
      await expect(graph.neighbours('session:s2', { direction: 'in', visibleTo: 'u1' })).rejects.toThrow(NotFoundError);
      await expect(graph.traverse('user:u2', { visibleTo: 'u1' })).rejects.toThrow(NotFoundError);
    });

    it('links the task to the user when there is no session, and is all or none', async () => {
      await graph.recordWork({ userId: 'u1', taskId: 't1', agent: 'music' });
      expect((await graph.neighbours('user:u1', { direction: 'out' })).map((n) => `${n.edge.type}:${n.node.id}`)).toEqual(['requested:task:t1']);
      await graph.upsertNode({ id: 'project:clash', kind: 'project' });
      await testDb.db.query("UPDATE graph_nodes SET kind = 'campaign' WHERE id = 'project:clash'");
      await expect(graph.recordWork({ userId: 'u9', taskId: 't9', agent: 'music', projectId: 'clash' })).rejects.toThrow(ConflictError);
      expect(await graph.getNode('user:u9')).toBeUndefined();
    });
  });
});
