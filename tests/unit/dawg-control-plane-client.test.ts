import express from 'express';
import { HttpControlPlaneClient } from '../../src/dawg/control-plane/http-client';
import { listen, SERVICE_TOKEN, type Listening } from '../helpers/servers';

/** How the AI DAWG's client of the control plane's internal API reports the control plane's answers. */
describe('HttpControlPlaneClient errors', () => {
  let server: Listening;
  let answer: { status: number; body: unknown };
  let client: HttpControlPlaneClient;

  beforeAll(async () => {
    const app = express();
    app.post('/internal/v1/analytics/query', (_req, res) => {
      res.status(answer.status).json(answer.body);
    });
    server = await listen(app);
    client = new HttpControlPlaneClient({ baseUrl: server.url, serviceToken: SERVICE_TOKEN, timeoutMs: 5_000, commandTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await server.close();
  });

  const ask = () => client.analyticsQuery({ sql: 'SELECT 1', params: [], maxRows: 1, timeoutMs: 1_000 }, { actor: 'key_1', requestId: 'r1', signal: new AbortController().signal });
  const error = (status: number, code: string, message: string, details?: unknown) => ({ status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } });

  it.each([
    [504, 'QUERY_TIMEOUT', 'The query ran past its time limit and was cancelled'],
    [501, 'SOURCE_UNAVAILABLE', 'Source "jarvis" is unavailable: the database user needs CREATEROLE'],
    [503, 'SOURCE_UNAVAILABLE', 'The copy of the tables could not be loaded in time; try again'],
    [403, 'FORBIDDEN', 'Source "jarvis" needs an API key with the admin scope'],
  ])('passes a %i %s through as the caller’s answer', async (status, code, message) => {
    answer = error(status, code, message);
    await expect(ask()).rejects.toMatchObject({ status, code, message });
  });

  it('passes a 400 through with the fields it names', async () => {
    answer = error(400, 'VALIDATION_FAILED', 'Invalid params: params.sql: syntax error', { issues: [{ field: 'params.sql', message: 'syntax error' }] });
    await expect(ask()).rejects.toMatchObject({ status: 400, details: { issues: [{ field: 'params.sql' }] } });
  });

  it('reports the control plane’s own failures as a bad gateway, naming its code', async () => {
    answer = error(500, 'INTERNAL', 'database connection lost');
    await expect(ask()).rejects.toMatchObject({ status: 502, code: 'CONTROL_PLANE_ERROR', message: 'The control plane failed: database connection lost', details: { upstreamCode: 'INTERNAL' } });
    answer = { status: 502, body: 'Bad Gateway' };
    await expect(ask()).rejects.toMatchObject({ status: 502, code: 'CONTROL_PLANE_ERROR' });
  });
});
