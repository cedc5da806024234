import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { securityHeaders } from '../../src/common/http/security-headers.middleware';

function headersOf(middleware: express.RequestHandler) {
  const app = express();
  app.disable('x-powered-by');
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  return request(app)
    .get('/')
    .then((res) => {
      const { date: _date, etag: _etag, 'content-length': _length, ...rest } = res.headers;
      return rest;
    });
}

it('sets exactly the headers helmet sets', async () => {
  const ours = await headersOf(securityHeaders());
  expect(ours).toEqual(await headersOf(helmet()));
  expect(ours['content-security-policy']).toContain("default-src 'self'");
  expect(ours['x-content-type-options']).toBe('nosniff');
});
