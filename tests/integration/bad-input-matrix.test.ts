import type { Express } from 'express';
import request from 'supertest';
import { startAudioDawg, type AudioDawg } from '../helpers/audio-dawg';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { mountedRoutes, type MountedRoute } from '../helpers/routes';
import { SERVICE_TOKEN } from '../helpers/servers';

/**
 * Malformed input on every mounted route of both services, enumerated from the apps
 * themselves (a route added later is covered without touching this file), with a credential
 * that passes every tier. Whatever arrives, the answer is the API's error shape: a 4xx naming
 * the offending field for bad input, never a 500 or an unexplained failure; nothing pollutes
 * prototypes and both services go on answering.
 */
let dawg: AudioDawg;
let plane: TestPlane;

beforeAll(async () => {
  dawg = await startAudioDawg({ workers: 1 });
  plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url } });
});
afterAll(async () => {
  await plane?.stop();
  await dawg?.close();
});

const BAD_PARAM = encodeURIComponent('bad id!\u0000<script>');

const nested = (depth: number): unknown => (depth === 0 ? 'x' : { a: nested(depth - 1) });

/** Bodies no route accepts: wrong JSON types, unknown and oversized fields, deep nesting, prototype keys (and, in sweep, a broken Content-Encoding). */
const BAD_BODIES: Array<[string, string]> = [
  ['an array', '[1, 2, 3]'],
  ['a JSON string', '"text"'],
  ['a number', '42'],
  ['null', 'null'],
  ['an unknown field', '{"unknownField": 1}'],
  ['a 20 kB unknown field', JSON.stringify({ z: 'x'.repeat(20_000) })],
  ['200 levels of nesting', JSON.stringify(nested(200))],
  ['a __proto__ key', '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'],
];

const BAD_QUERY = 'limit=-1&before=%00&unknownParameter=1&status=nope';

/**
 * What is wrong with the answer to a malformed request, if anything: it must be the API's
 * error shape with a documented status, and a validation failure must name its fields.
 */
function problemWith(res: request.Response): string | undefined {
  // 501/503: an honest "not here" (a provider or feature this test setup does not configure).
  if (res.status >= 500 && res.status !== 501 && res.status !== 503) return `${res.status} ${JSON.stringify(res.body)}`;
  if (res.status < 400) return undefined;
  if (!/^application\/json/.test(res.headers['content-type'] ?? '')) return `${res.status} with content-type ${res.headers['content-type']}`;
  const error = res.body?.error as { code?: unknown; message?: unknown; details?: { issues?: Array<{ field?: unknown }> } } | undefined;
  if (typeof error?.code !== 'string' || !/^[A-Z_]+$/.test(error.code) || typeof error.message !== 'string') return `${res.status} body ${JSON.stringify(res.body)}`;
  if (error.code === 'VALIDATION_FAILED') {
    const issues = error.details?.issues ?? [];
    if (!issues.length || !issues.every((i) => typeof i.field === 'string' && /^(body|query|params|headers|file)\b/.test(i.field))) return `400 without named fields: ${JSON.stringify(error)}`;
  }
  return undefined;
}

function withBadParams(route: MountedRoute): string {
  return route.path.replace(/:[A-Za-z]+/g, BAD_PARAM);
}

const hasBody = (route: MountedRoute) => route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';

/** Sends every malformed variant to every route; returns what went wrong, one line per request. */
async function sweep(app: Express, routes: MountedRoute[], authorization: string): Promise<{ sent: number; problems: string[] }> {
  let sent = 0;
  const problems: string[] = [];
  const check = (what: string, res: request.Response, extra?: string) => {
    sent++;
    const problem = problemWith(res) ?? extra;
    if (problem) problems.push(`${what}: ${problem}`);
  };
  for (const route of routes) {
    const name = `${route.method} ${route.path}`;
    const call = (path: string) => request(app)[route.method.toLowerCase() as 'get' | 'post' | 'delete'](path).set('authorization', authorization);
    const path = route.path.includes(':') ? withBadParams(route) : route.path;

    if (route.path.includes(':')) {
      const res = await call(path);
      check(`${name} (bad path parameter)`, res, res.status === 400 || res.status === 404 ? undefined : `answered ${res.status}`);
      // Not even percent-encoding (the router cannot decode it).
      const undecodable = await call(route.path.replace(/:[A-Za-z]+/g, '%E0%A4%A'));
      check(`${name} (undecodable path parameter)`, undecodable, undecodable.status === 400 || undecodable.status === 404 ? undefined : `answered ${undecodable.status}`);
    }
    if (hasBody(route)) {
      for (const [what, body] of BAD_BODIES) check(`${name} (${what})`, await call(path).set('content-type', 'application/json').send(body));
      check(`${name} (a body that is not the gzip its Content-Encoding says)`, await call(path).set('content-type', 'application/json').set('content-encoding', 'gzip').send('{"a":1}'));
    } else {
      check(`${name} (bad query)`, await call(`${path}?${BAD_QUERY}`));
    }
  }
  return { sent, problems };
}

it('answers malformed input on every control-plane route with a clear 4xx, never a crash', async () => {
  const routes = mountedRoutes(plane.app);
  expect(routes.length).toBeGreaterThan(80);
  const { sent, problems } = await sweep(plane.app, routes, `Bearer ${plane.adminKey}`);
  expect(problems).toEqual([]);
  expect(sent).toBeGreaterThan(routes.length);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  await request(plane.app).get('/health').expect(200);
  await request(plane.app).get('/status').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
}, 120_000);

it('answers malformed input on every AI DAWG route with a clear 4xx, never a crash', async () => {
  const routes = mountedRoutes(dawg.app);
  expect(routes.length).toBeGreaterThan(5);
  const { problems } = await sweep(dawg.app, routes, `Bearer ${SERVICE_TOKEN}`);
  expect(problems).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  await request(dawg.url).get('/health').expect(200);
}, 60_000);

it('names the offending field for the main write routes and path parameters', async () => {
  const admin = { authorization: `Bearer ${plane.adminKey}` };
  const cases: Array<[string, object, string]> = [
    ['/api/v1/execute', { module: 'music', action: 'create-project', params: { name: 42 } }, 'params.name'],
    ['/api/v1/agents/MixingEngineer/tasks', { taskType: 'balance-mix', payload: { projectId: 7 } }, 'body.payload.projectId'],
    ['/api/v1/schedules', { name: 'x', cron: 'not a cron', agent: 'QualityAssurance', taskType: 'system-health-check' }, 'body.cron'],
    ['/api/v1/memory', { text: '' }, 'body.text'],
    ['/api/v1/ai/chat', { messages: [{ role: 'wizard', content: 'hi' }] }, 'body.messages.0.role'],
    ['/api/v1/admin/api-keys', { name: 'k', scopes: ['root'] }, 'body.scopes.0'],
    // PostgreSQL cannot store a NUL character: refused at the boundary, naming the field, instead of failing the write.
    ['/api/v1/memory', { text: 'before\u0000after' }, 'body.text'],
    ['/api/v1/memory', { text: 'ok', metadata: { nested: ['fine', 'not\u0000fine'] } }, 'body.metadata.nested.1'],
    // Nor half of a surrogate pair (a JSON escape such as \ud800): jsonb refuses it.
    ['/api/v1/memory', { text: 'a broken emoji \ud83d' }, 'body.text'],
  ];
  // Whole pairs sent as escapes (as Python's json.dumps does) are text like any other.
  const escaped = await request(plane.app).post('/api/v1/memory').set(admin).set('content-type', 'application/json').send('{"text":"an emoji \\ud83d\\ude00 escaped"}').expect(201);
  expect(escaped.body.memory.content).toBe('an emoji 😀 escaped');
  for (const [path, body, field] of cases) {
    const res = await request(plane.app).post(path).set(admin).send(body);
    expect({ path, status: res.status }).toEqual({ path, status: 400 });
    expect({ path, fields: (res.body.error.details.issues as Array<{ field: string }>).map((i) => i.field) }).toEqual({ path, fields: expect.arrayContaining([field]) });
  }
  const params: Array<[string, string]> = [
    [`/api/v1/graph/nodes/${BAD_PARAM}/neighbours`, 'params.id'],
    [`/api/v1/conversations/${BAD_PARAM}/messages`, 'params.sessionId'],
    [`/api/v1/graph/path?from=user%3A1&to=${BAD_PARAM}`, 'query.to'],
  ];
  for (const [path, field] of params) {
    const res = await request(plane.app).get(path).set(admin);
    expect({ path, status: res.status, fields: (res.body.error?.details?.issues as Array<{ field: string }> | undefined)?.map((i) => i.field) }).toEqual({ path, status: 400, fields: [field] });
  }
  const memory = await request(plane.app).delete(`/api/v1/memory/${BAD_PARAM}`).set(admin).expect(400);
  expect(memory.body.error.details.issues).toEqual([{ field: 'params.id', message: 'must be a memory id (mem_…)' }]);
});
