import { PassThrough } from 'node:stream';
import Transport from 'winston-transport';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { childWithLevel, createLogger, lineWriter } from '../../src/common/logger';
import { capturingLogger } from '../helpers/logger';

describe('childWithLevel', () => {
  test('drops entries below its level, keeps the rest with its metadata, and leaves the parent alone', () => {
    const { logger, lines } = capturingLogger();
    const firewall = childWithLevel(logger, { component: 'terminal-firewall' }, 'warn');
    firewall.info('command finished', { command: 'df' });
    firewall.debug('noise');
    firewall.warn('command denied', { command: 'rm' });
    firewall.error('approved command failed to run');
    logger.info('parent still logs info');
    expect(lines().map((l) => [l.level, l.message, l.component ?? null])).toEqual([
      ['warn', 'command denied', 'terminal-firewall'],
      ['error', 'approved command failed to run', 'terminal-firewall'],
      ['info', 'parent still logs info', null],
    ]);
  });

  test('cannot log below the parent\'s level', () => {
    const { logger, lines } = capturingLogger();
    logger.level = 'warn';
    childWithLevel(logger, {}, 'debug').info('dropped by the parent');
    expect(lines()).toEqual([]);
  });
});

describe('lineWriter', () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  test('writes the line logger.log would write: level, message, fields, service, timestamp', async () => {
    const { logger, lines } = capturingLogger();
    logger.info('request', { method: 'GET', path: '/status', status: 200 });
    lineWriter(logger)('info', 'request', { method: 'GET', path: '/status', status: 200, keyId: undefined });
    await nextTurn();
    const [viaWinston, direct] = lines();
    expect(Object.keys(direct!).sort()).toEqual(Object.keys(viaWinston!).sort());
    expect({ ...direct, timestamp: 'T' }).toEqual({ ...viaWinston, timestamp: 'T' });
    expect(Date.parse(direct!.timestamp as string)).toBeGreaterThan(Date.now() - 5_000);
  });

  test("keeps to the logger's level and silence", async () => {
    const { logger, lines } = capturingLogger();
    logger.level = 'warn';
    const write = lineWriter(logger);
    write('info', 'dropped', {});
    write('warn', 'kept', { status: 503 });
    await nextTurn();
    logger.silent = true;
    write('error', 'silenced', {});
    await nextTurn();
    expect(lines().map((l) => [l.level, l.message])).toEqual([['warn', 'kept']]);
  });

  test('writes the lines of one turn together, each still a line of its own, in order', async () => {
    const { logger, lines, text } = capturingLogger();
    const write = lineWriter(logger);
    for (let i = 0; i < 50; i++) write(i % 10 === 9 ? 'warn' : 'info', 'request', { n: i });
    expect(text()).toBe('');
    await nextTurn();
    const written = lines();
    expect(written).toHaveLength(50);
    expect(written.filter((l) => l.level === 'info').map((l) => l.n)).toEqual([...Array(50).keys()].filter((i) => i % 10 !== 9));
    expect(written.filter((l) => l.level === 'warn').map((l) => l.n)).toEqual([9, 19, 29, 39, 49]);
  });

  test('hands a transport its next batch only once it has called back for the last (a file waiting for drain)', async () => {
    const logger = createLogger({ level: 'info', service: 'svc', silent: false, stream: new PassThrough() });
    logger.clear();
    const received: string[] = [];
    let pending: (() => void) | undefined;
    let overlapping = 0;
    // Like winston's file transport while its stream is full: it calls back only when ready again.
    logger.add(
      new (class extends Transport {
        override log(info: Record<symbol, string>, callback: () => void): void {
          if (pending) overlapping++;
          received.push(...info[Symbol.for('message')]!.split('\n'));
          pending = callback;
        }
      })(),
    );
    const write = lineWriter(logger);
    for (let turn = 0; turn < 5; turn++) {
      write('info', 'request', { n: turn });
      await nextTurn();
    }
    expect(received).toHaveLength(1);
    pending!();
    pending = undefined;
    await nextTurn();
    expect(overlapping).toBe(0);
    expect(received.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
  });

  test.each([
    ['a transport taking every level', undefined, 'warn'],
    ['an error-only transport', 'error', 'error'],
  ])('past 20,000 lines waiting for %s, drops the newest and says how many, at a level it takes', async (_what, transportLevel, noticeLevel) => {
    const logger = createLogger({ level: 'info', service: 'svc', silent: false, stream: new PassThrough() });
    logger.clear();
    const received: Array<{ level: string; message: string; n?: number; dropped?: number }> = [];
    let pending: (() => void) | undefined;
    logger.add(
      new (class extends Transport {
        override log(info: Record<symbol, string>, callback: () => void): void {
          received.push(...info[Symbol.for('message')]!.split('\n').map((l) => JSON.parse(l) as { level: string; message: string }));
          pending = callback;
        }
      })({ level: transportLevel }),
    );
    const write = lineWriter(logger);
    write('error', 'first', { n: -1 });
    await nextTurn();
    // The transport has not called back: everything now waits, up to 20,000 lines.
    for (let n = 0; n < 20_005; n++) write('error', 'request', { n });
    await nextTurn();
    expect(received).toHaveLength(1);
    pending!();
    await nextTurn();
    const [notice, ...rest] = received.slice(1);
    expect(notice).toMatchObject({ level: noticeLevel, message: 'log lines dropped: the destination could not keep up', dropped: 5 });
    expect(rest.map((l) => l.n)).toEqual([...Array(20_000).keys()]);
  });

  test('a transport that throws loses that batch, not the process nor later lines', async () => {
    const logger = createLogger({ level: 'info', service: 'svc', stream: new PassThrough() });
    logger.clear();
    const received: string[] = [];
    let calls = 0;
    logger.add(
      new (class extends Transport {
        override log(info: Record<symbol, string>, callback: () => void): void {
          if (calls++ === 0) throw new Error('disk gone');
          received.push(info[Symbol.for('message')]!);
          callback();
        }
      })(),
    );
    const write = lineWriter(logger);
    write('info', 'request', { n: 1 });
    await nextTurn();
    write('info', 'request', { n: 2 });
    await nextTurn();
    expect(received.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([2]);
  });

  test('also writes to the log file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jarvis-log-'));
    try {
      const logger = createLogger({ level: 'info', service: 'svc', silent: false, stream: new PassThrough(), file: { dir, maxBytes: 1_000_000, maxFiles: 2 } });
      lineWriter(logger)('info', 'request', { path: '/health', status: 200 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const line = JSON.parse(readFileSync(path.join(dir, 'svc.log'), 'utf8').trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'info', message: 'request', path: '/health', status: 200, service: 'svc' });
      logger.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('errors logged as fields', () => {
  test('show their name, message, code, stack and cause, and nothing else they carry', () => {
    const { logger, lines } = capturingLogger();
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const err = Object.assign(new Error('the query failed', { cause }), { config: { headers: { Authorization: 'Bearer jrv_secret' } } });
    logger.error('unhandled error', { requestId: 'r1', err });
    logger.error('aborted', { err: new DOMException('This operation was aborted', 'AbortError') });
    const [first, second] = lines();
    expect(first!.err).toEqual({
      name: 'Error',
      message: 'the query failed',
      stack: expect.stringContaining('the query failed'),
      cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED', stack: expect.any(String) },
    });
    expect(JSON.stringify(first)).not.toContain('jrv_secret');
    expect(second!.err).toMatchObject({ name: 'AbortError', message: 'This operation was aborted' });
  });
});
