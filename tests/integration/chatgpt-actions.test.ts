import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { validate } from '@readme/openapi-parser';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { parse } from 'yaml';
import { AudioWorkerPool } from '../../src/dawg/audio/worker';
import type { ControlPlaneClient } from '../../src/dawg/control-plane/types';
import { createCreativeModule } from '../../src/dawg/modules/creative';
import { createDevopsModule } from '../../src/dawg/modules/devops';
import { FileStore, ProjectStore } from '../../src/dawg/storage';
import {
  ACTION_GROUPS,
  CHATGPT_ACTIONS,
  fitForChatGpt,
  fitJobForChatGpt,
  GPT_MAX_OPERATIONS,
} from '../../src/control-plane/integrations/chatgpt';
import { CHECKED_IN_CHATGPT_PATH, renderCheckedInChatGptSpec } from '../../src/control-plane/openapi/generate';
import { waitFor } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { startDawg, type TestDawg } from '../helpers/servers';

jest.setTimeout(120_000);

const PUBLIC_URL = 'https://jarvis.example.org';
type Doc = { servers: Array<{ url: string }>; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };
type Operation = {
  operationId: string;
  summary?: string;
  description?: string;
  parameters?: Array<{ description?: string; schema?: { description?: string } }>;
  responses: Record<string, unknown>;
  security?: unknown;
  'x-openai-isConsequential'?: boolean;
};
const operations = (doc: Doc) => Object.entries(doc.paths).flatMap(([p, item]) => Object.entries(item).map(([method, op]) => ({ path: p, method, op })));

/** Every `description` anywhere under a value, with where it is. */
function descriptions(value: unknown, at = ''): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => descriptions(v, `${at}/${i}`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'description' && typeof v === 'string' ? [[at, v] as [string, string]] : descriptions(v, `${at}/${k}`)));
}

let plane: TestPlane;
let dawg: TestDawg;
let dir: string;
let audio: AudioWorkerPool;
let devopsKey: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'chatgpt-'));
  dawg = await startDawg({ dataDir: dir });
  const files = new FileStore({ dir: path.join(dir, 'files'), maxBytes: 100_000_000 });
  const projects = new ProjectStore(path.join(dir, 'projects'));
  await Promise.all([files.init(), projects.init()]);
  audio = new AudioWorkerPool({ workers: 1, filesDir: path.join(dir, 'files') });
  dawg.registry.register(createCreativeModule({ files, projects, audio }));
  // query-logs reads these files; the audit log (through the control plane) is not asked for here.
  const logDir = path.join(dir, 'logs');
  await import('node:fs/promises').then((fs) => fs.mkdir(logDir));
  const now = new Date().toISOString();
  await writeFile(
    path.join(logDir, 'control-plane.log'),
    [
      { timestamp: now, level: 'error', message: 'authentication failed for key k1', service: 'control-plane' },
      { timestamp: now, level: 'info', message: 'request finished', service: 'control-plane' },
    ].map((l) => JSON.stringify(l)).join('\n') + '\n',
  );
  const refuse = () => Promise.reject(new Error('not used in this test'));
  const controlPlane: ControlPlaneClient = { runCommand: refuse, approval: refuse, latestApproval: refuse, withdrawApproval: refuse, audit: refuse, metrics: refuse, analyticsQuery: refuse };
  dawg.registry.register(
    createDevopsModule({
      controlPlane,
      targets: [],
      deployments: { list: async () => [], record: refuse } as never,
      terraformDir: undefined,
      monitoringDir: path.join(dir, 'monitoring'),
      logDir,
    }),
  );
  plane = await startTestPlane({ kind: 'pglite', env: { JARVIS_PUBLIC_URL: `${PUBLIC_URL}/`, AI_DAWG_BACKEND_URL: dawg.url }, runTasks: true });
  devopsKey = (await plane.apiKeys.create('chatgpt-devops', ['devops'])).key;
});

afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
  await audio?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the ChatGPT OpenAPI documents', () => {
  it('the checked-in openapi/openapi.yaml is up to date (run `npm run openapi`)', () => {
    expect(readFileSync(CHECKED_IN_CHATGPT_PATH, 'utf8')).toBe(renderCheckedInChatGptSpec());
  });

  const served = async (url: string) => {
    const res = await request(plane.app).get(url).expect(200).expect('content-type', /application\/yaml/);
    return parse(res.text) as Doc;
  };

  it.each([['all actions', '/integrations/chatgpt/openapi.yaml'], ...ACTION_GROUPS.map((g) => [g, `/integrations/chatgpt/openapi/${g}.yaml`])])(
    '%s: valid OpenAPI 3.1 within the GPT Action limits',
    async (_name, url) => {
      const doc = await served(url);
      // A real validator: the 3.1 schema plus the spec's own rules (unique operationIds, path parameters declared, …).
      await expect(validate(structuredClone(doc) as never)).resolves.toMatchObject({ valid: true });
      expect(doc.servers).toEqual([{ url: PUBLIC_URL }]);
      expect(doc.components.securitySchemes).toEqual({ bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
      const ops = operations(doc);
      expect(ops.length).toBeLessThanOrEqual(GPT_MAX_OPERATIONS);
      expect(ops.map((o) => o.op.operationId)).toContain('getJobStatus');
      for (const { op } of ops) {
        expect(op.security).toEqual([{ bearerAuth: [] }]);
        expect((op.summary ?? '').length).toBeGreaterThan(0);
        expect((op.summary ?? '').length).toBeLessThanOrEqual(300);
        expect((op.description ?? '').length).toBeLessThanOrEqual(300);
        for (const p of op.parameters ?? []) {
          for (const [, d] of descriptions(p)) expect(d.length).toBeLessThanOrEqual(700);
        }
      }
      // Schema descriptions (request bodies) stay within the parameter limit as well.
      for (const [where, d] of descriptions(doc.paths)) expect([where, d.length <= 700]).toEqual([where, true]);
    },
  );

  it('has the blueprint operationIds at the blueprint paths, and marks what changes things as consequential', async () => {
    const doc = await served('/integrations/chatgpt/openapi.yaml');
    const byId = new Map(operations(doc).map((o) => [o.op.operationId, o]));
    const blueprint: Array<[string, string]> = [
      ['deployService', '/integrations/chatgpt/actions/devops/deploy'],
      ['manageInfrastructure', '/integrations/chatgpt/actions/devops/infrastructure'],
      ['queryLogs', '/integrations/chatgpt/actions/devops/logs'],
      ['configureMonitoring', '/integrations/chatgpt/actions/devops/monitoring'],
      ['executeDataQuery', '/integrations/chatgpt/actions/analytics/query'],
      ['trainPredictiveModel', '/integrations/chatgpt/actions/analytics/ml-model'],
      ['generateDashboard', '/integrations/chatgpt/actions/analytics/dashboard'],
      ['generateAudioWithSuno', '/integrations/chatgpt/actions/creative/audio-generation'],
      ['mixAudioTracks', '/integrations/chatgpt/actions/creative/mixing'],
      ['masterAudio', '/integrations/chatgpt/actions/creative/mastering'],
    ];
    for (const [id, p] of blueprint) expect([id, byId.get(id)?.path, byId.get(id)?.method]).toEqual([id, p, 'post']);
    for (const group of ACTION_GROUPS) expect(operations(doc).some((o) => o.path.startsWith(`/integrations/chatgpt/actions/${group}/`))).toBe(true);

    for (const id of ['deployService', 'manageInfrastructure', 'configureMonitoring', 'scaleInfrastructure']) {
      expect([id, byId.get(id)?.op['x-openai-isConsequential']]).toEqual([id, true]);
    }
    expect(byId.get('queryLogs')?.op['x-openai-isConsequential']).toBe(false);
    // Every action states it either way, so ChatGPT never guesses.
    for (const a of CHATGPT_ACTIONS) expect(typeof byId.get(a.operationId)?.op['x-openai-isConsequential']).toBe('boolean');
  });

  it('answers anything that can outlast ChatGPT’s request limit with a jobId', async () => {
    const doc = await served('/integrations/chatgpt/openapi.yaml');
    const byId = new Map(operations(doc).map((o) => [o.op.operationId, o.op]));
    for (const a of CHATGPT_ACTIONS) {
      const codes = Object.keys(byId.get(a.operationId)!.responses).filter((c) => c.startsWith('2'));
      if (a.kind === 'call') {
        expect([a.operationId, a.timeoutMs <= 30_000, codes]).toEqual([a.operationId, true, ['200']]);
      } else {
        expect([a.operationId, codes]).toEqual([a.operationId, [a.kind === 'schedule' ? '201' : '202']]);
      }
    }
  });

  it('an unknown group is a 400 naming the valid ones', async () => {
    const res = await request(plane.app).get('/integrations/chatgpt/openapi/sales.yaml').expect(400);
    expect(res.body.error.details.issues[0]).toMatchObject({ field: 'params.group' });
    expect(JSON.stringify(res.body)).toContain('devops');
  });
});

describe('ChatGPT actions', () => {
  const post = (url: string, key: string) => request(plane.app).post(`/integrations/chatgpt/actions/${url}`).set('authorization', `Bearer ${key}`);

  it('a long action queues a job (202 with jobId) that getJobStatus follows to its measured result', async () => {
    const res = await post('creative/audio-generation', plane.userKey).send({ prompt: 'neon night drive', genre: 'synthwave', duration: 10 }).expect(202);
    expect(res.body).toMatchObject({ success: true, agent: 'CreativeDirector', taskType: 'generate-audio', status: 'queued', estimatedSeconds: 90 });
    expect(res.body.jobUrl).toBe(`/integrations/chatgpt/jobs/${res.body.jobId}`);
    expect(res.headers.location).toBe(res.body.jobUrl);
    const job = await waitFor(
      async () => {
        const { body } = await request(plane.app).get(res.body.jobUrl).set('authorization', `Bearer ${plane.userKey}`).expect(200);
        return ['completed', 'failed'].includes(body.status) ? body : undefined;
      },
      90_000,
      'the generation job to end',
    );
    expect(job).toMatchObject({ kind: 'task', status: 'completed', payload: { prompt: 'neon night drive', genre: 'synthwave', duration: 10, provider: 'local' } });
    const result = job.result as { fileId: string; duration?: number; analysis?: { integratedLufs: number } };
    expect(result.fileId).toMatch(/^f_/);
    expect(JSON.stringify(result)).toMatch(/integratedLufs/);
  });

  it('bad input is a 400 naming the field, and nothing is queued', async () => {
    const before = await plane.agents!.tasks.list('MixingEngineer', { limit: 500 });
    const res = await post('creative/mastering', plane.userKey).send({ fileId: 'f_not-an-id', target: 'tidal' }).expect(400);
    const paths = res.body.error.details.issues.map((i: { field: string }) => i.field);
    expect(paths).toEqual(expect.arrayContaining(['body.fileId', 'body.target']));
    expect(await plane.agents!.tasks.list('MixingEngineer', { limit: 500 })).toHaveLength(before.length);
  });

  it('devops actions need the devops scope', async () => {
    await post('devops/deploy', plane.userKey).send({ service: 'jarvis-api', environment: 'staging' }).expect(403);
    await post('devops/logs', plane.userKey).send({ query: 'x' }).expect(403);
    const res = await post('devops/deploy', devopsKey).send({ service: 'jarvis-api', environment: 'staging' }).expect(202);
    expect(res.body).toMatchObject({ agent: 'DevOpsEngineer', taskType: 'deploy-service' });
  });

  it('a short action runs on the DAWG and answers its result (200)', async () => {
    const res = await post('devops/logs', devopsKey).send({ query: '(?i)authentication', services: ['control-plane'] }).expect(200);
    expect(res.body).toMatchObject({ success: true, module: 'devops', action: 'query-logs' });
    expect(JSON.stringify(res.body.result)).toContain('authentication failed for key k1');
    expect(JSON.stringify(res.body.result)).not.toContain('request finished');
  });

  it('an action whose DAWG module is not built yet is a 501 naming it', async () => {
    const res = await post('analytics/query', plane.userKey).send({ sql: 'SELECT 1' }).expect(501);
    expect(res.body.error).toMatchObject({ code: 'NOT_IMPLEMENTED', details: { module: 'analytics', action: 'query' } });
  });

  it('needs an API key', async () => {
    await request(plane.app).post('/integrations/chatgpt/actions/testing/health').send({}).expect(401);
  });
});

describe('the response budget', () => {
  it('a call result too large for ChatGPT is replaced by a note that says so', () => {
    const small = { result: { rows: [1, 2] } };
    expect(fitForChatGpt(small)).toBe(small);
    const big = fitForChatGpt({ result: { text: 'x'.repeat(200) } }, 100);
    expect(big.result).toBeNull();
    expect(big.truncated).toMatchObject({ limit: 100, characters: expect.any(Number) });
    expect(big.truncated!.characters).toBeGreaterThan(200);
  });

  it('a job too large keeps its latest events, then points at the full result', () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ id: i, type: 'progress', at: 't' }));
    const job = { jobId: 'tsk_1', kind: 'task' as const, agent: 'DataScientist', events, result: { text: 'y'.repeat(500) } };
    const fewerEvents = fitJobForChatGpt(job, JSON.stringify({ ...job, events: events.slice(-20) }).length + 40);
    expect(fewerEvents.events).toEqual(events.slice(-20));
    expect(fewerEvents.result).toEqual(job.result);
    const pointer = fitJobForChatGpt(job, 300);
    expect(pointer.result).toEqual({ truncated: true, characters: JSON.stringify(job.result).length, fullResultUrl: '/api/v1/agents/DataScientist/tasks/tsk_1' });
    expect(JSON.stringify(pointer).length).toBeLessThan(JSON.stringify(job).length);
  });
});
