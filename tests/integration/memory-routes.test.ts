import request from 'supertest';
import type { z } from 'zod';
import { memoryRoutes } from '../../src/control-plane/http/memory.routes';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';

/** Asserts that a response matches the schema its route documents (OpenAPI), showing the zod issues if not. */
function expectDocumented(route: keyof typeof memoryRoutes, res: request.Response): void {
  const schema = memoryRoutes[route].responses[res.status]?.schema as z.ZodType | undefined;
  expect(schema).toBeDefined();
  const parsed = schema!.safeParse(res.body);
  expect(parsed.success ? [] : parsed.error.issues).toEqual([]);
}

/** The memory, graph and conversation routes, scoped per key (admin keys may act for any user). */
describe('memory routes', () => {
  let plane: TestPlane;
  let otherKey: string;
  let userId: string;
  let otherId: string;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    plane = await startTestPlane({ kind: 'pglite' });
    const other = await plane.apiKeys.create('other-user', []);
    otherKey = other.key;
    otherId = other.id;
    userId = /^jrv_([a-f0-9]{16})_/.exec(plane.userKey)![1]!;
  });
  afterAll(async () => {
    await plane?.stop();
  });

  test('remember, recall within the caller\'s own memories, near repeats update', async () => {
    const created = await request(plane.app).post('/api/v1/memory').set(as(plane.userKey)).send({ text: 'Master the synthwave single to -14 LUFS for Spotify.', type: 'preference', sessionId: 'sess-a' });
    expect(created.status).toBe(201);
    expectDocumented('remember', created);
    expect(created.body).toMatchObject({ action: 'created', memory: { userId, type: 'preference', sessionId: 'sess-a', content: 'Master the synthwave single to -14 LUFS for Spotify.' } });
    const again = await request(plane.app).post('/api/v1/memory').set(as(plane.userKey)).send({ text: 'Master the synthwave single to -14 LUFS for Spotify!', type: 'preference' });
    expect(again.body).toMatchObject({ action: 'updated', memory: { id: created.body.memory.id } });
    expectDocumented('remember', again);
    await request(plane.app).post('/api/v1/memory').set(as(otherKey)).send({ text: 'Spotify loudness target for my podcast is -16 LUFS.' }).expect(201);

    const mine = await request(plane.app).get('/api/v1/memory/search').query({ q: 'what loudness for spotify', k: 5 }).set(as(plane.userKey));
    expect(mine.status).toBe(200);
    expectDocumented('search', mine);
    expect(mine.body.hits.map((h: { id: string }) => h.id)).toEqual([created.body.memory.id]);
    expect(mine.body.hits[0]).toMatchObject({ vectorRank: 1, textRank: 1 });
    const theirs = await request(plane.app).get('/api/v1/memory/search').query({ q: 'what loudness for spotify' }).set(as(otherKey));
    expect(theirs.body.hits.map((h: { userId: string }) => h.userId)).toEqual([otherId]);
  });

  test('only admin keys act for another user; bad input names the field', async () => {
    const forbidden = await request(plane.app).get('/api/v1/memory/search').query({ q: 'spotify', userId: otherId }).set(as(plane.userKey));
    expect(forbidden.status).toBe(403);
    const admin = await request(plane.app).get('/api/v1/memory/search').query({ q: 'spotify podcast', userId: otherId }).set(as(plane.adminKey));
    expect(admin.body.hits[0]).toMatchObject({ userId: otherId });
    const bad = await request(plane.app).get('/api/v1/memory/search').query({ q: 'x', k: 'many' }).set(as(plane.userKey));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('query.k');
    const empty = await request(plane.app).post('/api/v1/memory').set(as(plane.userKey)).send({ text: '' });
    expect(JSON.stringify(empty.body.error.details)).toContain('body.text');
    expect((await request(plane.app).get('/api/v1/memory/search').query({ q: 'x' })).status).toBe(401);
  });

  test('delete one memory: another user\'s answers 404 and stays', async () => {
    const { body } = await request(plane.app).post('/api/v1/memory').set(as(otherKey)).send({ text: 'The staging database runs on port 5433.' });
    expect((await request(plane.app).delete(`/api/v1/memory/${body.memory.id}`).set(as(plane.userKey))).status).toBe(404);
    expect((await request(plane.app).delete(`/api/v1/memory/${body.memory.id}`).set(as(otherKey))).status).toBe(204);
    expect((await request(plane.app).delete(`/api/v1/memory/${body.memory.id}`).set(as(otherKey))).status).toBe(404);
  });

  test('conversations: append, page, window; another user cannot read the session', async () => {
    const append = await request(plane.app)
      .post('/api/v1/conversations/chat-1/messages')
      .set(as(plane.userKey))
      .send({ messages: [{ role: 'system', content: 'You are Jarvis.' }, { role: 'user', content: 'a'.repeat(50) }, { role: 'assistant', content: 'b'.repeat(50) }, { role: 'user', content: 'c'.repeat(50) }] });
    expect(append.status).toBe(201);
    expectDocumented('append', append);
    const list = await request(plane.app).get('/api/v1/conversations/chat-1/messages').query({ limit: 2 }).set(as(plane.userKey));
    expect(list.body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user']);
    expectDocumented('list', list);
    const window = await request(plane.app).get('/api/v1/conversations/chat-1/window').query({ maxChars: 120 }).set(as(plane.userKey));
    expect(window.body.messages.map((m: { content: string }) => m.content[0])).toEqual(['Y', 'b', 'c']);
    expectDocumented('window', window);
    expect((await request(plane.app).get('/api/v1/conversations/chat-1/messages').set(as(otherKey))).status).toBe(404);
    expect((await request(plane.app).post('/api/v1/conversations/chat-1/messages').set(as(otherKey)).send({ messages: [{ role: 'user', content: 'hi' }] })).status).toBe(403);
  });

  test('graph: neighbours and path, other users\' nodes hidden', async () => {
    await plane.memory!.graph.recordWork({ userId, sessionId: 'chat-1', taskId: 'tsk_g1', agent: 'MixingEngineer', projectId: 'p_neon' });
    await plane.memory!.graph.recordWork({ userId: otherId, sessionId: 'chat-9', taskId: 'tsk_g9', agent: 'MixingEngineer', projectId: 'p_neon' });
    const n = await request(plane.app).get(`/api/v1/graph/nodes/${encodeURIComponent(`agent:MixingEngineer`)}/neighbours`).query({ direction: 'in' }).set(as(plane.userKey));
    expect(n.status).toBe(200);
    expectDocumented('neighbours', n);
    expect(n.body.neighbours.map((x: { node: { id: string } }) => x.node.id)).toEqual(['task:tsk_g1']);
    const path = await request(plane.app).get('/api/v1/graph/path').query({ from: `user:${userId}`, to: 'project:p_neon' }).set(as(plane.userKey));
    expect(path.body.path).not.toBeNull();
    expectDocumented('path', path);
    const hidden = await request(plane.app).get('/api/v1/graph/path').query({ from: `user:${userId}`, to: `user:${otherId}`, maxDepth: 6 }).set(as(plane.userKey));
    expect(hidden.body.path).toBeNull();
    expectDocumented('path', hidden);
  });

  test('erase: a session, then everything about a user (only themselves unless admin)', async () => {
    expect((await request(plane.app).delete('/api/v1/memory').query({ userId: otherId }).set(as(plane.userKey))).status).toBe(403);
    const session = await request(plane.app).delete('/api/v1/memory').query({ sessionId: 'chat-1' }).set(as(plane.userKey));
    expect(session.body.erased).toEqual({ memories: 0, messages: 4 });
    expectDocumented('forgetMany', session);
    const all = await request(plane.app).delete('/api/v1/memory').set(as(plane.userKey));
    expect(all.body).toMatchObject({ userId, erased: { memories: 1, graphNodes: 3 } });
    expectDocumented('forgetMany', all);
    const after = await request(plane.app).get('/api/v1/memory/search').query({ q: 'spotify' }).set(as(plane.userKey));
    expect(after.body.hits).toEqual([]);
    // The other user's memories are untouched.
    const theirs = await request(plane.app).get('/api/v1/memory/search').query({ q: 'spotify podcast' }).set(as(otherKey));
    expect(theirs.body.hits).toHaveLength(1);
  });
});
