import request from 'supertest';
import { z } from 'zod';
import { BaseAgent, capability } from '../../src/control-plane/agents';
import { CapabilityCalls } from '../../src/control-plane/agents/capability-calls';
import type { StartedTask } from '../../src/control-plane/agents/task-store';
import type { ChatInput } from '../../src/control-plane/ai-router';
import { graphNodeId } from '../../src/control-plane/memory';
import { waitForTask } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { silentLogger } from '../helpers/logger';

/** Agents get their user's memories, and finished work lands in the memory graph. */
describe('memory in the agent system', () => {
  let plane: TestPlane;
  const recaller = new BaseAgent('Recaller', 'test agent that recalls', [
    capability({
      name: 'recall',
      description: 'returns what it recalls',
      requiredModules: [],
      timeoutMs: 10_000,
      resumable: true,
      payload: z.strictObject({ q: z.string(), projectId: z.string().optional(), sessionId: z.string().optional() }),
      async run(p, ctx) {
        return { recalled: (await ctx.recall(p.q, 1)).map((m) => m.content) };
      },
    }),
  ]);

  beforeAll(async () => {
    plane = await startTestPlane({ kind: 'pglite', runTasks: true, agents: [recaller] });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  test('ctx.recall answers the queuing key\'s memories; the finished task is recorded user → session → task → agent → project', async () => {
    const auth = { authorization: `Bearer ${plane.userKey}` };
    await request(plane.app).post('/api/v1/memory').set(auth).send({ text: 'The Neon Dreams master must hit -14 LUFS for Spotify.' }).expect(201);
    await request(plane.app).post('/api/v1/memory').set(auth).send({ text: 'The office coffee machine is broken.' }).expect(201);
    const queued = await request(plane.app).post('/api/v1/agents/Recaller/tasks').set(auth).send({ taskType: 'recall', payload: { q: 'loudness target for Spotify', projectId: 'p_neon', sessionId: 'sess-42' } });
    expect(queued.status).toBe(202);
    const done = await waitForTask(plane.agents!, queued.body.taskId, undefined, 20_000);
    expect(done).toMatchObject({ status: 'completed', result: { recalled: ['The Neon Dreams master must hit -14 LUFS for Spotify.'] } });

    const userId = /^jrv_([a-f0-9]{16})_/.exec(plane.userKey)![1]!;
    let path = null;
    for (let i = 0; i < 100 && !path; i++) {
      path = await plane.memory!.graph.shortestPath(graphNodeId('user', userId), graphNodeId('project', 'p_neon'), { direction: 'out', maxDepth: 4 });
      if (!path) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(path?.nodes.map((n) => n.kind)).toEqual(['user', 'session', 'task', 'project']);
  });

  test('an agent\'s chat carries the user\'s relevant memories as a system message', async () => {
    const seen: ChatInput[] = [];
    const calls = new CapabilityCalls({
      router: { execute: async () => ({ module: 'x', action: 'y', result: null, durationMs: 0 }), modules: async () => ({ reachable: true, modules: [] }) },
      logger: silentLogger(),
      ai: { chat: async (input: ChatInput) => (seen.push(input), { content: 'ok' }) as never, generateMusic: async () => Promise.reject(new Error('no music in this test')) },
      memory: { recall: async ({ query, userId }) => (userId === 'key_1' && query.includes('master') ? [{ content: 'Masters go to -14 LUFS.' }] : []) as never },
    });
    const task = { id: 'tsk_1', agent: 'CreativeDirector', task_type: 't', payload: {}, attempts: 1, max_attempts: 1, timeout_ms: 1000, workflow_id: null, queued_at: null, worker_id: 'w', created_by: 'key_1' } satisfies StartedTask;
    const ctx = calls.context(task, new AbortController().signal, () => undefined);
    await ctx.ai({ taskType: 'creative', messages: [{ role: 'user', content: 'How loud should the master be?' }] });
    expect(seen[0]!.messages).toEqual([
      { role: 'system', content: 'Relevant memories of this user (most relevant first):\n- Masters go to -14 LUFS.' },
      { role: 'user', content: 'How loud should the master be?' },
    ]);
    // A system task (nobody queued it) gets no one's memories.
    const system = calls.context({ ...task, created_by: null }, new AbortController().signal, () => undefined);
    await system.ai({ taskType: 'creative', messages: [{ role: 'user', content: 'How loud should the master be?' }] });
    expect(seen[1]!.messages).toHaveLength(1);
  });
});
