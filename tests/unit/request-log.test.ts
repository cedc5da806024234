import express from 'express';
import { requestId } from '../../src/common/http/request-id.middleware';
import { requestLog, type RequestAuditSink } from '../../src/control-plane/http/request-log.middleware';
import { capturingLogger } from '../helpers/logger';
import { listen } from '../helpers/servers';

/*
 * The access log and the api.request audit entry of a request whose client went away before
 * the answer: logged, as aborted, without the status Express would have sent.
 */

test('a request answered is logged with its status; one whose client left first has none and says aborted', async () => {
  const { logger, lines } = capturingLogger();
  const recorded: Array<Parameters<RequestAuditSink['record']>[0]> = [];
  const audit: RequestAuditSink = { record: (entry) => void recorded.push(entry) };
  let arrived: () => void;
  const waiting = new Promise<void>((resolve) => (arrived = resolve));
  const app = express();
  app.use(requestId());
  app.use(requestLog(logger, audit));
  app.get('/ok', (_req, res) => void res.status(201).json({ ok: true }));
  app.get('/slow', (_req, res) => {
    arrived();
    res.on('close', () => undefined); // never answers
  });
  const server = await listen(app);
  try {
    expect((await fetch(`${server.url}/ok`)).status).toBe(201);
    const caller = new AbortController();
    const slow = fetch(`${server.url}/slow`, { signal: caller.signal });
    await waiting;
    caller.abort();
    await expect(slow).rejects.toThrow();
    for (let i = 0; i < 100 && lines().filter((l) => l.message === 'request').length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const logged = lines().filter((l) => l.message === 'request');
    expect(logged).toEqual([
      expect.objectContaining({ level: 'info', path: '/ok', status: 201 }),
      expect.objectContaining({ level: 'info', path: '/slow', aborted: true }),
    ]);
    expect(logged[1]).not.toHaveProperty('status');
    expect(recorded.map((e) => [e.subject, e.outcome, (e.details as { status: unknown }).status])).toEqual([
      ['/ok', '201', 201],
      ['/slow', 'aborted', null],
    ]);
  } finally {
    await server.close();
  }
});
