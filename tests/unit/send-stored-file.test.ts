import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { sendStoredFile } from '../../src/common/http/send-stored-file';

describe('sendStoredFile', () => {
  let base: string;
  let dir: string;
  const app = express();
  app.get('/files/:name', (req, res, next) => {
    sendStoredFile(res, next, path.join(dir, req.params.name), {
      headers: { 'content-type': 'application/octet-stream', 'x-stored': 'yes' },
      missing: () => Object.assign(new Error('gone'), { status: 404 }),
    });
  });
  app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ error: err.message });
  });

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'stored-'));
    // A data directory under a dot directory, as ~/.local/share/jarvis is.
    dir = path.join(base, '.local', 'share', 'jarvis');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'a.bin'), Buffer.from('0123456789'));
    await writeFile(path.join(dir, '.secret'), 'no');
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('serves a file under a dot directory, ranges included, with its headers', async () => {
    const whole = await request(app).get('/files/a.bin').expect(200);
    expect(whole.headers['x-stored']).toBe('yes');
    expect(Buffer.from(whole.body as Buffer).toString()).toBe('0123456789');
    const part = await request(app).get('/files/a.bin').set('range', 'bytes=2-4').expect(206);
    expect(Buffer.from(part.body as Buffer).toString()).toBe('234');
  });

  it('still refuses a dot file, and a missing file is the caller’s error, without the headers', async () => {
    await request(app).get('/files/.secret').expect(403);
    const missing = await request(app).get('/files/b.bin').expect(404);
    expect(missing.headers['x-stored']).toBeUndefined();
    expect(missing.body).toEqual({ error: 'gone' });
  });
});
