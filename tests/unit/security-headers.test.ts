import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { securityHeaders } from '../../src/common/http/security-headers.middleware';

function headersOf(middleware: express.RequestHandler, options: { trustProxy?: boolean; forwardedProto?: string } = {}) {
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', true);
  app.use(middleware);
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  const req = request(app).get('/');
  if (options.forwardedProto) void req.set('X-Forwarded-Proto', options.forwardedProto);
  return req.then((res) => {
    const { date: _date, etag: _etag, 'content-length': _length, ...rest } = res.headers;
    return rest;
  });
}

const https = { trustProxy: true, forwardedProto: 'https' };

it('over HTTPS sets exactly the headers helmet sets', async () => {
  const ours = await headersOf(securityHeaders(), https);
  expect(ours).toEqual(await headersOf(helmet(), https));
  expect(ours['content-security-policy']).toContain("default-src 'self'");
  expect(ours['content-security-policy']).toContain('upgrade-insecure-requests');
  expect(ours['x-content-type-options']).toBe('nosniff');
});

it('over plain HTTP leaves out upgrade-insecure-requests, and only that', async () => {
  const helmets = await headersOf(helmet());
  const ours = await headersOf(securityHeaders());
  expect(ours['content-security-policy']).not.toContain('upgrade-insecure-requests');
  expect(helmets['content-security-policy']).toContain('upgrade-insecure-requests');
  const directives = (csp: unknown) => String(csp).split(';').filter((d) => d !== 'upgrade-insecure-requests');
  expect(directives(ours['content-security-policy'])).toEqual(directives(helmets['content-security-policy']));
  expect({ ...ours, 'content-security-policy': '' }).toEqual({ ...helmets, 'content-security-policy': '' });
});

it('an X-Forwarded-Proto the app does not trust is plain HTTP', async () => {
  expect((await headersOf(securityHeaders(), { forwardedProto: 'https' }))['content-security-policy']).not.toContain('upgrade-insecure-requests');
});
