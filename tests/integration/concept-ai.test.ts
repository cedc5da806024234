import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { waitFor } from '../helpers/agent-system';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { startFakeProvider, type FakeProvider } from '../helpers/fake-providers';

/*
 * CreativeDirector's song concept with a language model configured: the real AI router calls
 * OpenAI's chat completions (a local fake speaking its documented wire format), the real
 * creative module writes the rules' draft, and the model's refinement reaches the song the
 * production composes and publishes. What the user said explicitly always stands.
 */

jest.setTimeout(300_000);

const OPENAI_KEY = 'sk-test-openai-concept-0123456789';
const REFINED = { title: 'Neon Rain', genre: 'synthwave', bpm: 112, key: 'D minor', mood: 'wistful', theme: 'Driving alone through a rainy city at night.' };

let openai: FakeProvider;
let dawg: AudioDawg;
let plane: TestPlane;
let dataDir: string;

beforeAll(async () => {
  openai = await startFakeProvider('openai');
  dawg = await startAudioDawg();
  dataDir = await mkdtemp(path.join(tmpdir(), 'jarvis-concept-ai-'));
  plane = await startTestPlane({
    kind: 'pglite',
    runTasks: true,
    env: {
      AI_DAWG_BACKEND_URL: dawg.url,
      JARVIS_DATA_DIR: dataDir,
      OPENAI_API_KEY: OPENAI_KEY,
      OPENAI_BASE_URL: openai.url,
      AI_ROUTER_RETRY_BASE_MS: '1',
      AI_ROUTER_RETRY_MAX_MS: '5',
      AI_ROUTER_TIMEOUT_MS: '5000',
    },
  });
});

afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await openai?.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  openai.requests.length = 0;
  // A failure in one test must not leave the model's circuit open for the next.
  plane.ai.breakers.shutdown();
});

async function concept(payload: Record<string, unknown>) {
  const created = await request(plane.app)
    .post('/api/v1/agents/CreativeDirector/tasks')
    .set('authorization', `Bearer ${plane.userKey}`)
    .send({ taskType: 'generate-song-concept', payload })
    .expect(202);
  const task = await waitFor(async () => {
    const t = await plane.agents!.tasks.get('CreativeDirector', created.body.taskId);
    return t && ['completed', 'failed'].includes(t.status) ? t : undefined;
  });
  expect(task.error).toBeUndefined();
  return task.result as { concept: Record<string, unknown>; source: string; model?: string; notes: string[] };
}

describe('generate-song-concept with OpenAI configured', () => {
  it("takes the model's refinement in its documented answer, keeping what the user said", async () => {
    openai.setBehaviour({ type: 'ok', text: `Here is the improved concept:\n${JSON.stringify(REFINED)}\nEnjoy!` });
    const result = await concept({ prompt: 'a synthwave song about night drives in the rain', bpm: 96, duration: 30 });

    expect(result.source).toBe('ai');
    expect(result.model).toMatch(/^gpt-/);
    // bpm was given: the model's 112 does not replace it.
    expect(result.concept).toMatchObject({ title: 'Neon Rain', genre: 'synthwave', bpm: 96, key: 'D minor', mood: 'wistful', theme: REFINED.theme, durationSeconds: 30 });
    expect(result.notes).toEqual([`refined by ${result.model}: title, genre, key, mood, theme`]);

    // One chat completion, in OpenAI's format, with the rules' draft and the request in it
    // (the memory layer may also send the text to /v1/embeddings).
    const chats = openai.requests.filter((r) => r.path === '/v1/chat/completions');
    expect(chats).toHaveLength(1);
    const sent = chats[0]!;
    expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    const body = sent.body as { model: string; temperature: number; messages: Array<{ role: string; content: string }> };
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(body.messages[0]!.content).toContain('Answer with one JSON object only');
    expect(body.messages[1]!.content).toContain('Request: a synthwave song about night drives in the rain');
    expect(body.messages[1]!.content).toMatch(/"bpm":96/);
    expect(body.temperature).toBe(0.6);
    expect(result.model).toContain(body.model.replace(/-\d{4}-\d{2}-\d{2}$/, ''));
  });

  it("keeps the rules' concept, saying why, when the answer holds no usable concept", async () => {
    openai.setBehaviour({ type: 'ok', text: 'What a lovely idea for a song! Rain, neon, a long road.' });
    const prose = await concept({ prompt: 'a synthwave song about night drives in the rain' });
    expect(prose.source).toBe('rules');
    expect(prose.notes).toEqual([`${prose.model} did not answer a usable concept: concept from the rules`]);

    // A value outside the composer's range is not taken either (bpm 400).
    openai.setBehaviour({ type: 'ok', text: JSON.stringify({ ...REFINED, bpm: 400 }) });
    const wild = await concept({ prompt: 'a synthwave song about night drives in the rain' });
    expect(wild.source).toBe('rules');
    expect(wild.concept.bpm).toBe(prose.concept.bpm);
  });

  it("keeps the rules' concept when the provider refuses the call", async () => {
    openai.setBehaviour({ type: 'error', status: 401, message: 'Incorrect API key provided' });
    const result = await concept({ prompt: 'a synthwave song about night drives in the rain' });
    expect(result.source).toBe('rules');
    expect(result.notes[0]).toMatch(/^AI router unavailable \([A-Z_]+\): concept from the rules$/);
    expect(result.concept.title).toEqual(expect.any(String));
    expect(openai.requests.filter((r) => r.path === '/v1/chat/completions').length).toBeGreaterThan(0);
  });
});

describe('the production with OpenAI configured', () => {
  it("composes, mixes and publishes the model's concept", async () => {
    openai.setBehaviour({ type: 'ok', text: JSON.stringify(REFINED) });
    const started = await request(plane.app)
      .post('/api/v1/agents/CreativeDirector/tasks')
      .set('authorization', `Bearer ${plane.userKey}`)
      .send({ taskType: 'coordinate-production', payload: { prompt: 'a synthwave song about night drives in the rain', duration: 12 } })
      .expect(202);
    const starter = await waitFor(async () => {
      const t = await plane.agents!.tasks.get('CreativeDirector', started.body.taskId);
      return t?.status === 'completed' ? t : undefined;
    });
    const workflowId = (starter.result as { workflowId: string }).workflowId;
    const job = await waitFor(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const j = JSON.parse(JSON.stringify(await plane.agents!.tasks.job(workflowId))) as { status: string; result?: Record<string, any>; error?: unknown };
        return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
      },
      240_000,
      'production to end',
    );
    expect(job.error).toBeUndefined();
    expect(job.status).toBe('completed');
    const trackId = job.result!.result.trackId as string;
    expect(trackId).toMatch(/^neon-rain-/);
    const { body: track } = await request(plane.app).get(`/catalog/tracks/${trackId}`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(track).toMatchObject({ title: 'Neon Rain', genre: 'synthwave', bpm: 112, key: 'D minor', mood: 'wistful' });
  });
});
