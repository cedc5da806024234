import request from 'supertest';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { mountedRoutes, type MountedRoute } from '../helpers/routes';

/** The only routes anyone may call without credentials (blueprint §4.2, public tier). */
/** Routes that answer without credentials: probes, API documents (they hold no secret) and the dashboard's static page. */
const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /health/detailed',
  'GET /openapi.json',
  'GET /integrations/chatgpt/openapi.yaml',
  'GET /integrations/chatgpt/openapi/:group.yaml',
  'GET /dashboard',
  'GET /dashboard/:asset',
]);
/** Routes of the admin tier; every other non-public route is integration tier or stricter. */
const ADMIN_PREFIX = '/api/v1/admin/';

const concrete = (path: string) => path.replace(/:(\w+)/g, '0000000000000000');

let plane: TestPlane;
let routes: MountedRoute[];

beforeAll(async () => {
  // Every route is called twice, anonymously and with a forged key, from one address: more than
  // the default per-window limits of some groups (ChatGPT Actions: 50) and of failed authentications (100).
  plane = await startTestPlane({ env: { RATE_LIMIT_CHATGPT_MAX: '100000', RATE_LIMIT_DEFAULT_MAX: '100000', RATE_LIMIT_DEVOPS_MAX: '100000', RATE_LIMIT_AUTH_FAILURES_MAX: '100000' } });
  routes = mountedRoutes(plane.app);
});

afterAll(async () => {
  await plane.stop();
});

it('finds the mounted routes', () => {
  const names = routes.map((r) => `${r.method} ${r.path}`);
  expect(names).toEqual(expect.arrayContaining([...PUBLIC_ROUTES, 'GET /status', 'POST /api/v1/execute', 'POST /api/v1/admin/api-keys']));
});

it('every non-public route answers 401 without credentials, and 401 with wrong ones', async () => {
  const protectedRoutes = routes.filter((r) => !PUBLIC_ROUTES.has(`${r.method} ${r.path}`));
  expect(protectedRoutes.length).toBeGreaterThan(3);
  for (const route of protectedRoutes) {
    const path = concrete(route.path);
    const call = () => request(plane.app)[route.method.toLowerCase() as 'get'](path);
    const anonymous = await call();
    expect({ route, status: anonymous.status, code: anonymous.body?.error?.code }).toEqual({ route, status: 401, code: 'UNAUTHORIZED' });
    const forged = await call().set('authorization', 'Bearer jrv_0123456789abcdef_' + 'A'.repeat(43));
    expect({ route, status: forged.status }).toEqual({ route, status: 401 });
  }
});

it('public routes answer without credentials', async () => {
  for (const name of PUBLIC_ROUTES) {
    const [method, path] = name.split(' ') as [string, string];
    const res = await request(plane.app)[method.toLowerCase() as 'get'](path);
    expect({ name, status: res.status }).not.toEqual({ name, status: 401 });
  }
});

it('admin routes answer 403 to a valid key without the admin scope', async () => {
  const adminRoutes = routes.filter((r) => r.path.startsWith(ADMIN_PREFIX));
  expect(adminRoutes.length).toBeGreaterThan(0);
  for (const route of adminRoutes) {
    const res = await request(plane.app)[route.method.toLowerCase() as 'get'](concrete(route.path)).set('x-api-key', plane.userKey);
    expect({ route, status: res.status }).toEqual({ route, status: 403 });
  }
});
