import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkerRequests } from '../../src/common/ts-worker';

jest.setTimeout(30_000);

type Request = { id: number; text: string; ms?: number };
type Answer = { id: number; ok: true; text: string } | { id: number; ok: false; message: string };

const FILE = path.join(__dirname, '../fixtures/echo-worker.ts');
const errors = { failed: () => new Error('failed'), died: (reason: string) => new Error(`died: ${reason}`), stopped: () => new Error('stopped') };

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('WorkerRequests worker data and notices', () => {
  it('gives each worker the workerData of its start, and passes on messages that answer no request', async () => {
    const notices: unknown[] = [];
    let n = 0;
    const requests = new WorkerRequests<Request, Answer>(FILE, { ...errors, workerData: () => ({ start: ++n }), onNotice: (m) => notices.push(m) });
    try {
      expect((await requests.send({ text: 'a' }, { endOnAbort: 'always' })).text).toBe('a');
      await requests.stop();
      expect((await requests.send({ text: 'b' }, { endOnAbort: 'always' })).text).toBe('b');
      await until(() => notices.length === 2);
      expect(notices).toEqual([
        { notice: 'started', workerData: { start: 1 } },
        { notice: 'started', workerData: { start: 2 } },
      ]);
    } finally {
      await requests.stop();
    }
  });
});

describe('WorkerRequests idle stop', () => {
  it('stops the worker once nothing has waited for idleMs, and starts another on the next request', async () => {
    const requests = new WorkerRequests<Request, Answer>(FILE, { ...errors, idleMs: 100 });
    try {
      expect((await requests.send({ text: 'a' }, { endOnAbort: 'always' })).text).toBe('a');
      const running = requests.generation;
      await until(() => requests.generation !== running);
      expect((await requests.send({ text: 'b' }, { endOnAbort: 'always' })).text).toBe('b');
    } finally {
      await requests.stop();
    }
  });

  it('never stops a worker that something waits on, however long it takes', async () => {
    const requests = new WorkerRequests<Request, Answer>(FILE, { ...errors, idleMs: 20 });
    try {
      await requests.send({ text: 'up' }, { endOnAbort: 'always' });
      const generation = requests.generation;
      // A short request ends while a long one still waits: the worker must stay.
      const long = requests.send({ text: 'long', ms: 400 }, { endOnAbort: 'always' });
      expect((await requests.send({ text: 'short' }, { endOnAbort: 'always' })).text).toBe('short');
      expect((await long).text).toBe('long');
      expect(requests.generation).toBe(generation);
    } finally {
      await requests.stop();
    }
  });

  it('warm starts the worker before any request, and it stops after idleMs if none comes', async () => {
    const requests = new WorkerRequests<Request, Answer>(FILE, { ...errors, idleMs: 150 });
    try {
      const before = requests.generation;
      requests.warm();
      const started = requests.generation;
      expect(started).not.toBe(before);
      requests.warm(); // already running: the same worker
      expect(requests.generation).toBe(started);
      await until(() => requests.generation !== started);
      expect((await requests.send({ text: 'after' }, { endOnAbort: 'always' })).text).toBe('after');
    } finally {
      await requests.stop();
    }
  });

  it('keeps the worker without idleMs', async () => {
    const requests = new WorkerRequests<Request, Answer>(FILE, errors);
    try {
      await requests.send({ text: 'a' }, { endOnAbort: 'always' });
      const generation = requests.generation;
      await sleep(300);
      expect(requests.generation).toBe(generation);
    } finally {
      await requests.stop();
    }
  });
});
