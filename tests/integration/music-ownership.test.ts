import request from 'supertest';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { waitForTask } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { SERVICE_TOKEN } from '../helpers/servers';

/**
 * Music projects through the gateway: every key may read every project, but only the key it
 * was created for (or an admin key) may change or delete it, through the execute route and
 * through agent tasks (the ChatGPT mixing actions are such tasks).
 */
let dawg: AudioDawg;
let plane: TestPlane;
let other: { id: string; key: string };

beforeAll(async () => {
  dawg = await startAudioDawg({ workers: 1 });
  plane = await startTestPlane({ kind: 'pglite', runTasks: true, env: { AI_DAWG_BACKEND_URL: dawg.url } });
  other = await plane.apiKeys.create('other-user', []);
});
afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
});

const execute = (key: string, action: string, params: Record<string, unknown>) =>
  request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${key}`).send({ module: 'music', action, params });

const bassNotes = Array.from({ length: 8 }, (_, i) => ({ pitch: 36 + (i % 4), velocity: 100, startBeats: i, durationBeats: 1 }));

/** A project with one short MIDI track, made through the gateway with `key`. */
async function projectOf(key: string): Promise<{ id: string; trackId: string }> {
  const created = await execute(key, 'create-project', { name: 'owned' }).expect(200);
  const id = created.body.result.id as string;
  const track = await execute(key, 'add-track', { projectId: id, name: 'bass', source: { kind: 'midi', instrument: 'bass', notes: bassNotes } }).expect(200);
  return { id, trackId: track.body.result.trackId as string };
}

it('records the creating key, shows every project to every key, and refuses changes by another key', async () => {
  const project = await projectOf(plane.userKey);
  const stored = await execute(other.key, 'get-project', { projectId: project.id }).expect(200);
  expect(stored.body.result).toMatchObject({ id: project.id, createdBy: plane.userKeyId, version: 2 });
  const listed = await execute(other.key, 'list-projects', {}).expect(200);
  expect(listed.body.result.projects).toContainEqual(expect.objectContaining({ id: project.id, createdBy: plane.userKeyId }));

  const attempts: Array<[string, Record<string, unknown>]> = [
    ['update-track', { projectId: project.id, trackId: project.trackId, gainDb: -6 }],
    ['add-track', { projectId: project.id, name: 'lead', source: { kind: 'midi', instrument: 'lead', notes: bassNotes } }],
    ['remove-track', { projectId: project.id, trackId: project.trackId }],
    ['balance-levels', { projectId: project.id }],
    ['apply-dynamics', { projectId: project.id }],
    ['delete-project', { projectId: project.id }],
  ];
  for (const [action, params] of attempts) {
    const refused = await execute(other.key, action, params);
    expect({ action, status: refused.status }).toEqual({ action, status: 403 });
    expect(refused.body.error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('only its creator or an admin API key'), details: { field: 'params.projectId' } });
  }
  // Nothing changed: same version, same track.
  const after = await execute(other.key, 'get-project', { projectId: project.id }).expect(200);
  expect(after.body.result).toMatchObject({ version: 2, tracks: [expect.objectContaining({ id: project.trackId, gainDb: 0 })] });

  // Rendering a project changes nothing, so any key may export it.
  await execute(other.key, 'export-mix', { projectId: project.id, bitDepth: 16 }).expect(200);

  // The creator and an admin key may change it; the creator may delete it.
  await execute(plane.userKey, 'update-track', { projectId: project.id, trackId: project.trackId, gainDb: -3 }).expect(200);
  await execute(plane.adminKey, 'update-track', { projectId: project.id, trackId: project.trackId, pan: 0.5 }).expect(200);
  const changed = await execute(other.key, 'get-project', { projectId: project.id }).expect(200);
  expect(changed.body.result).toMatchObject({ version: 4, createdBy: plane.userKeyId, tracks: [expect.objectContaining({ gainDb: -3, pan: 0.5 })] });
  await execute(plane.userKey, 'delete-project', { projectId: project.id }).expect(200);
  await execute(other.key, 'get-project', { projectId: project.id }).expect(404);
});

it('lets only an admin key change a project made without a creator (directly on the DAWG)', async () => {
  const direct = await request(dawg.url)
    .post('/api/v1/execute')
    .set('authorization', `Bearer ${SERVICE_TOKEN}`)
    .send({ module: 'music', action: 'create-project', params: { name: 'legacy' } })
    .expect(200);
  const id = direct.body.result.id as string;
  expect(direct.body.result.createdBy).toBeUndefined();
  await execute(plane.userKey, 'delete-project', { projectId: id }).expect(403);
  await execute(plane.adminKey, 'delete-project', { projectId: id }).expect(200);
});

it('runs agent tasks with the rights of the key that queued them', async () => {
  const project = await projectOf(plane.userKey);
  const queue = (key: string) =>
    request(plane.app)
      .post('/api/v1/agents/MixingEngineer/tasks')
      .set('authorization', `Bearer ${key}`)
      .send({ taskType: 'balance-mix', payload: { projectId: project.id } })
      .expect(202)
      .then((res) => res.body.taskId as string);

  // Another key's task fails at once (a refusal is not retried) and leaves the project alone.
  const refused = await waitForTask(plane.agents!, await queue(other.key), undefined, 30_000);
  expect(refused).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'FORBIDDEN' } });
  expect((await dawg.projects.get(project.id)).version).toBe(2);

  // The owner's task and an admin key's task both balance it.
  for (const key of [plane.userKey, plane.adminKey]) {
    const done = await waitForTask(plane.agents!, await queue(key), undefined, 60_000);
    expect(done.status).toBe('completed');
  }
  expect((await dawg.projects.get(project.id)).version).toBe(4);
});

it('the DAWG refuses an owner limit that is not the caller, naming the header', async () => {
  const res = await request(dawg.url)
    .post('/api/v1/execute')
    .set('authorization', `Bearer ${SERVICE_TOKEN}`)
    .set('x-jarvis-actor', 'key_a')
    .set('x-jarvis-owned-by', 'key_b')
    .send({ module: 'music', action: 'list-projects', params: {} })
    .expect(400);
  expect(JSON.stringify(res.body.error)).toContain('headers.x-jarvis-owned-by');
});
