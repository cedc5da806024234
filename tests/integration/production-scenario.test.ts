import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { productionWorkflow, productionBody } from '../../src/control-plane/agents/scenarios/production-scenario';
import { waitFor } from '../helpers/agent-system';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { openTestDb, type TestDb } from '../helpers/db';

/*
 * The blueprint's scenario 1 end to end on the embedded default with no keys (PGlite, the local
 * composer, the offline AI model): one request → concept → generated audio → MixingEngineer's
 * full mix → master → QualityAssurance's review → DevOpsEngineer's publish to the catalog; the
 * job ends with the blueprint's answer, every figure measured. Then a restart in the middle,
 * and a review that fails.
 */

jest.setTimeout(300_000);

const PROMPT = "Create a synthwave track called 'Neon Dreams', mix it professionally, and deploy it to the music catalog";
/** Short tracks keep the suite fast; the pipeline is the same at 180 s. */
const DURATION = 20;

let dawg: AudioDawg;
let dataDir: string;

beforeAll(async () => {
  dawg = await startAudioDawg();
  dataDir = await mkdtemp(path.join(tmpdir(), 'jarvis-catalog-'));
});

afterAll(async () => {
  await dawg?.close();
  await rm(dataDir, { recursive: true, force: true });
});

const env = () => ({ AI_DAWG_BACKEND_URL: dawg.url, JARVIS_DATA_DIR: dataDir });
type Step = { stepKey: string; status: string; attempts: number; result?: Record<string, any>; error?: { code: string; message: string; details?: any } };
type Job = { status: string; result?: Record<string, any>; error?: Record<string, any>; steps: Step[] };

/** Polled through the service (the HTTP route is rate-limited like ChatGPT's, 50/min); read once over HTTP at the end. */
async function job(plane: TestPlane, jobId: string): Promise<Job> {
  return JSON.parse(JSON.stringify(await plane.agents!.tasks.job(jobId))) as Job;
}

async function ended(plane: TestPlane, jobId: string): Promise<Job> {
  return waitFor(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const j = await job(plane, jobId);
      return ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    },
    240_000,
    `workflow ${jobId} to end`,
  );
}

describe('the Neon Dreams production', () => {
  let plane: TestPlane;

  beforeAll(async () => {
    plane = await startTestPlane({ kind: 'pglite', env: env(), runTasks: true });
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it('answers 202 with a job that ends with the blueprint\'s response, every value measured', async () => {
    const started = await request(plane.app)
      .post('/integrations/chatgpt/actions/creative/produce')
      .set('authorization', `Bearer ${plane.userKey}`)
      .send({ prompt: PROMPT, duration: DURATION })
      .expect(202);
    expect(started.body).toMatchObject({ success: true, jobId: expect.stringMatching(/^wf_/), taskIds: { concept: expect.any(String), publish: expect.any(String) } });

    await ended(plane, started.body.jobId);
    // As ChatGPT reads it (getJobStatus), with the key that asked.
    const { body: done } = (await request(plane.app).get(started.body.jobUrl).set('authorization', `Bearer ${plane.userKey}`).expect(200)) as { body: Job };
    expect(done.status).toBe('completed');
    const answer = done.result!;
    expect(answer).toMatchObject({
      success: true,
      message: "Track 'Neon Dreams' created, mixed, mastered and deployed to the catalog",
      agents_used: ['CreativeDirector', 'MixingEngineer', 'QualityAssurance', 'DevOpsEngineer'],
      result: {
        trackId: expect.stringMatching(/^neon-dreams-\d{8}-[0-9a-f]{6}$/),
        format: 'WAV 24-bit 48kHz',
        qualityReview: { approved: true },
      },
    });
    // The timeline is the steps' own measured times.
    const steps = new Map(done.steps.map((s) => [s.stepKey, s]));
    // (jsonb keeps keys in its own order.)
    expect(Object.keys(answer.timelineMs).sort()).toEqual(['concept', 'deployment', 'generation', 'mastering', 'mixing', 'qualityReview', 'total']);
    expect(Object.keys(answer.timeline).sort()).toEqual(Object.keys(answer.timelineMs).sort());
    const phases = Object.entries(answer.timelineMs as Record<string, number>).filter(([k]) => k !== 'total');
    for (const [, ms] of phases) expect(ms).toBeGreaterThan(0);
    expect(phases.reduce((sum, [, ms]) => sum + ms, 0)).toBeLessThanOrEqual(answer.timelineMs.total);
    expect(answer.timeline.mixing).toMatch(/^\d+(\.\d)? seconds?$|minute/);

    // The figures are those of the published file, and the master meets Spotify's target.
    const { lufs, peakDb, stereoWidth } = answer.result.analytics;
    expect(Math.abs(lufs - -14)).toBeLessThanOrEqual(1);
    expect(peakDb).toBeLessThanOrEqual(-1);
    expect(stereoWidth).toBeGreaterThan(0);
    expect(Math.abs(answer.result.duration - DURATION)).toBeLessThanOrEqual(4);
    const concept = steps.get('concept')!.result!.concept;
    expect(concept).toMatchObject({ title: 'Neon Dreams', genre: 'synthwave' });
    expect(steps.get('concept')!.result!.source).toBe('rules');

    const trackId = answer.result.trackId as string;
    const { body: track } = await request(plane.app).get(`/catalog/tracks/${trackId}`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(track).toMatchObject({ id: trackId, title: 'Neon Dreams', genre: 'synthwave', bpm: concept.bpm, key: concept.key, format: 'WAV 24-bit 48kHz' });
    // The answer gives a meter's reading (a tenth); the catalog entry keeps the measured value.
    expect(Math.round(track.analytics.lufs * 10) / 10).toBe(lufs);
    expect(Math.round(track.analytics.peakDb * 10) / 10).toBe(peakDb);
    expect(answer.result.url).toBe(track.url);
    expect(answer.result.streamUrl).toBe(track.streamUrl);
    // A link a person can open where no key can be sent (ChatGPT's answer): the stream, for an hour.
    expect(answer.result.listenUrl).toMatch(new RegExp(`^${track.streamUrl.replace(/[.?]/g, '\\$&')}\\?link=[0-9a-f]{16}\\.\\d+\\.[\\w-]{43}$`));
    expect(Date.parse(answer.result.listenUrlExpiresAt)).toBeGreaterThan(Date.now() + 59 * 60_000);
    const listened = await request(plane.app).get(new URL(answer.result.listenUrl as string).pathname + new URL(answer.result.listenUrl as string).search).set('range', 'bytes=0-3').buffer(true).parse(binary).expect(206);
    expect((listened.body as Buffer).toString('latin1')).toBe('RIFF');
    expect(track.sourceFileId).toBe(steps.get('review')!.result!.fileId);

    // Served by the control plane: whole, by range, as an attachment; and its waveform.
    const streamPath = `/catalog/tracks/${trackId}/stream`;
    const whole = await request(plane.app).get(streamPath).set('authorization', `Bearer ${plane.userKey}`).buffer(true).parse(binary).expect(200);
    expect(whole.headers['content-type']).toBe('audio/wav');
    expect(createHash('sha256').update(whole.body as Buffer).digest('hex')).toBe(track.sha256);
    expect((whole.body as Buffer).length).toBe(track.bytes);
    const part = await request(plane.app).get(streamPath).set('authorization', `Bearer ${plane.userKey}`).set('range', 'bytes=0-11').buffer(true).parse(binary).expect(206);
    expect((part.body as Buffer).toString('latin1', 0, 4)).toBe('RIFF');
    expect((part.body as Buffer).toString('latin1', 8, 12)).toBe('WAVE');
    const download = await request(plane.app).get(`${streamPath}?download=true`).set('authorization', `Bearer ${plane.userKey}`).buffer(true).parse(binary).expect(200);
    expect(download.headers['content-disposition']).toContain(`${trackId}.wav`);
    const { body: wave } = await request(plane.app).get(`/catalog/tracks/${trackId}/waveform`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(wave.peaks).toHaveLength(800);
    expect(wave.loudness.lufs.length).toBeGreaterThan(0);
    const { body: list } = await request(plane.app).get('/catalog/tracks?limit=5').set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(list.tracks.map((t: { id: string }) => t.id)).toContain(trackId);
  });

  it('answers 400 naming the field for a bad request, and 404 for an unknown track', async () => {
    const bad = await request(plane.app).post('/integrations/chatgpt/actions/creative/produce').set('authorization', `Bearer ${plane.userKey}`).send({ prompt: PROMPT, duration: 5 }).expect(400);
    expect(bad.body.error.details.issues[0].field).toBe('body.duration');
    const unknown = await request(plane.app).post('/integrations/chatgpt/actions/creative/produce').set('authorization', `Bearer ${plane.userKey}`).send({ prompt: PROMPT, tempo: 120 }).expect(400);
    expect(JSON.stringify(unknown.body.error.details)).toContain('tempo');
    await request(plane.app).get('/catalog/tracks/nope-20260101-abcdef').set('authorization', `Bearer ${plane.userKey}`).expect(404);
    await request(plane.app).get('/catalog/tracks/..%2Fetc').set('authorization', `Bearer ${plane.userKey}`).expect(400);
  });

  it('CreativeDirector coordinate-production starts the same workflow, once per task', async () => {
    const queued = await request(plane.app)
      .post('/api/v1/agents/CreativeDirector/tasks')
      .set('authorization', `Bearer ${plane.userKey}`)
      .send({ taskType: 'coordinate-production', payload: { prompt: PROMPT, duration: 10 } })
      .expect(202);
    const task = await waitFor(async () => {
      const t = await plane.agents!.tasks.get('CreativeDirector', queued.body.taskId);
      return t.status === 'completed' ? t : undefined;
    }, 30_000, 'coordinate-production to finish');
    const { workflowId } = task.result as { workflowId: string };
    // It is the user's workflow: their key reads it.
    const { body: wf } = await request(plane.app).get(`/integrations/chatgpt/jobs/${workflowId}`).set('authorization', `Bearer ${plane.userKey}`).expect(200);
    expect(wf.steps.map((s: { stepKey: string }) => s.stepKey)).toEqual(['concept', 'generate', 'mix', 'master', 'review', 'publish']);
    // The same id again (a retried task) answers the workflow it started, with the same steps.
    const plan = productionWorkflow(productionBody.parse({ prompt: PROMPT, duration: 10 }));
    const again = await plane.agents!.workflows.create(plan.name, plan.steps, undefined, { kind: plan.kind, id: workflowId });
    expect(again).toMatchObject({ workflowId, existing: true });
    expect(Object.values(again.taskIds).sort()).toEqual(wf.steps.map((s: { id: string }) => s.id).sort());
    await ended(plane, workflowId);
  });

  it('fails with the review\'s reasons when the master fails twice, and publishes nothing', async () => {
    const before = (await readdir(path.join(dataDir, 'catalog'))).length;
    const plan = productionWorkflow(productionBody.parse({ prompt: PROMPT, duration: 10 }));
    // A duration no master can fix: the review masters once more, measures again and gives up.
    const review = plan.steps.find((s) => s.key === 'review')!;
    const { expectedDurationSeconds: _unused, ...inputs } = review.inputs;
    review.inputs = inputs;
    review.payload = { ...review.payload, expectedDurationSeconds: 120, durationToleranceSeconds: 1 };
    const { workflowId } = await plane.agents!.workflows.create(plan.name, plan.steps, undefined, { kind: plan.kind });
    const done = await ended(plane, workflowId);
    expect(done.status).toBe('failed');
    const failed = done.steps.find((s) => s.stepKey === 'review')!;
    expect(failed.error).toMatchObject({ code: 'QUALITY_REVIEW_FAILED', details: { failures: [expect.stringMatching(/duration/i)], attempts: [{ ok: false }, { ok: false }] } });
    expect(failed.attempts).toBe(1);
    expect(done.steps.find((s) => s.stepKey === 'publish')!.status).toBe('cancelled');
    expect(done.result).toMatchObject({ success: false, failedStep: 'review', message: expect.stringContaining('qualityReview'), reasons: [expect.stringMatching(/duration/i)] });
    expect(done.result!.timelineMs).toMatchObject({ concept: expect.any(Number), mastering: expect.any(Number) });
    expect(await readdir(path.join(dataDir, 'catalog'))).toHaveLength(before);
  });

  it('approves after one re-master when the first master misses the review\'s loudness', async () => {
    const plan = productionWorkflow(productionBody.parse({ prompt: 'a calm ambient piece called "Still Water"', duration: 10, platform: 'spotify' }));
    // Mastered for Spotify (−14 LUFS) but reviewed for −18: the review masters the mix again to −18.
    const review = plan.steps.find((s) => s.key === 'review')!;
    review.payload = { ...review.payload, targetLufs: -18 };
    const { workflowId } = await plane.agents!.workflows.create(plan.name, plan.steps, undefined, { kind: plan.kind });
    const done = await ended(plane, workflowId);
    expect([done.status, done.error]).toEqual(['completed', undefined]);
    const reviewed = done.steps.find((s) => s.stepKey === 'review')!.result!;
    expect(reviewed).toMatchObject({ approved: true, remastered: true, attempts: [{ ok: false }, { ok: true }] });
    expect(Math.abs(done.result!.result.analytics.lufs - -18)).toBeLessThanOrEqual(1);
    expect(done.result!.result.qualityReview).toMatchObject({ remastered: true });
  });
});

describe('a production interrupted by a restart', () => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb('pglite');
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('resumes on the next start without redoing a finished step', async () => {
    const first = await startTestPlane({ kind: 'pglite', testDb, env: env(), runTasks: true });
    const started = await request(first.app)
      .post('/integrations/chatgpt/actions/creative/produce')
      .set('authorization', `Bearer ${first.userKey}`)
      .send({ prompt: PROMPT, duration: DURATION })
      .expect(202);
    const jobId = started.body.jobId as string;
    // Stop once the audio exists and the mix has started: the generation must not run again.
    await waitFor(async () => {
      const j = await job(first, jobId);
      return j.steps.find((s) => s.stepKey === 'mix')?.status === 'running' ? j : undefined;
    }, 120_000, 'the mix to start');
    await first.stop();

    const second = await startTestPlane({ kind: 'pglite', testDb, env: env(), runTasks: true });
    try {
      const done = await ended(second, jobId);
      expect(done.status).toBe('completed');
      expect(done.result).toMatchObject({ success: true, result: { trackId: expect.any(String) } });
      const byKey = new Map(done.steps.map((s) => [s.stepKey, s]));
      expect(byKey.get('concept')!.attempts).toBe(1);
      expect(byKey.get('generate')!.attempts).toBe(1);
      const starts = await testDb.db.query<{ job_id: string; n: string }>(
        `SELECT job_id, count(*) AS n FROM task_events WHERE type = 'task.started' AND job_id = ANY($1) GROUP BY job_id`,
        [[byKey.get('concept')!, byKey.get('generate')!].map((s) => (s as unknown as { id: string }).id)],
      );
      expect(starts.map((r) => Number(r.n))).toEqual([1, 1]);
      const requeued = await testDb.db.query<{ n: string }>(`SELECT count(*) AS n FROM task_events WHERE type = 'task.requeued' AND job_id = $1`, [(byKey.get('mix') as unknown as { id: string }).id]);
      expect(Number(requeued[0]!.n)).toBe(1);
      const tracks = await testDb.db.query<{ n: string }>('SELECT count(*) AS n FROM catalog_tracks WHERE workflow_id = $1', [jobId]);
      expect(Number(tracks[0]!.n)).toBe(1);
    } finally {
      await second.stop();
    }
  });
});

function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}
