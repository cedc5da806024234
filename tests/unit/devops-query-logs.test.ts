import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/common/logger';
import type { AuditEntryView, AuditFilter, AuditPageView, ControlPlaneClient } from '../../src/dawg/control-plane/types';
import { createQueryLogsAction, type QueryLogsDeps, type QueryLogsResult } from '../../src/dawg/modules/devops/logs';
import { messageTemplate } from '../../src/dawg/modules/devops/logs/message-template';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const at = (hhmmss: string) => `2025-03-01T${hhmmss}.000Z`;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'query-logs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes a log file of JSON lines (strings are written as they are) and sets its modification time. */
async function writeLog(dir: string, name: string, lines: Array<Record<string, unknown> | string>, mtime = NOW): Promise<void> {
  await writeFile(path.join(dir, name), lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  await utimes(path.join(dir, name), mtime / 1000, mtime / 1000);
}

function auditEntry(seq: number, createdAt: string, type: string, outcome: string | null, subject: string | null = null): AuditEntryView {
  return { id: `a-${seq}`, seq, createdAt, type, actor: 'key-1', subject, outcome, details: {}, prevHash: '0'.repeat(64), hash: seq.toString(16).padStart(64, '0') };
}

/** The audit port as the control plane serves it: newest first, from/to/before/limit honoured. */
function fakeAudit(entries: AuditEntryView[], options: { ignoreRange?: boolean; onCall?: () => void } = {}) {
  const calls: AuditFilter[] = [];
  const newestFirst = [...entries].sort((a, b) => b.seq - a.seq);
  const controlPlane: Pick<ControlPlaneClient, 'audit'> = {
    async audit(filter): Promise<AuditPageView> {
      calls.push(filter);
      options.onCall?.();
      const from = filter.from && !options.ignoreRange ? Date.parse(filter.from) : -Infinity;
      const to = filter.to && !options.ignoreRange ? Date.parse(filter.to) : Infinity;
      const eligible = newestFirst.filter((e) => (filter.before === undefined || e.seq < filter.before) && Date.parse(e.createdAt) >= from && Date.parse(e.createdAt) <= to);
      const page = eligible.slice(0, filter.limit ?? 100);
      return { entries: page, nextBefore: eligible.length > page.length ? page[page.length - 1]!.seq : null };
    },
  };
  return { controlPlane, calls };
}

function run(deps: QueryLogsDeps, params: Record<string, unknown>, signal = new AbortController().signal): Promise<QueryLogsResult> {
  const registry = new ModuleRegistry();
  registry.register(defineModule({ name: 'devops', description: 'test', version: '0.0.0', actions: { 'query-logs': createQueryLogsAction({ now: () => NOW, ...deps }) } }));
  return registry.execute({ module: 'devops', action: 'query-logs', params }, { requestId: 'req-1', signal, logger: silentLogger() }).then((r) => r.result as QueryLogsResult);
}

const summary = (result: QueryLogsResult) => result.matches.map((m) => `${m.time.slice(11, 19)} ${m.service} ${m.severity} ${m.message}`);

describe('devops query-logs over the log files and the audit log', () => {
  let dir: string;
  const audit = () =>
    fakeAudit([
      auditEntry(1, at('10:50:00'), 'command.allowed', 'started', 'ls'),
      auditEntry(2, at('11:15:00'), 'command.denied', 'NOT_ALLOWED', 'rm'),
      auditEntry(3, at('11:25:00'), 'api.request', '503', 'GET /api/v1/status'),
      auditEntry(4, at('11:35:00'), 'audit.dropped', 'dropped'),
      auditEntry(5, at('11:45:00'), 'task.event', 'completed', 'task-9'),
    ]);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(root, 'logs-'));
    await writeLog(dir, 'control-plane1.log', [
      { timestamp: at('10:30:00'), level: 'info', service: 'control-plane', message: 'server started on port 4000' },
      { timestamp: at('11:05:00'), level: 'warn', service: 'control-plane', message: 'slow query took 1200ms', sql: 'select 1' },
    ], Date.parse(at('11:06:00')));
    await writeLog(dir, 'control-plane.log', [
      'this is not json',
      { level: 'info', service: 'control-plane', message: 'no timestamp here' },
      { timestamp: at('11:20:00'), level: 'http', service: 'control-plane', message: 'GET /health 200' },
      { timestamp: at('11:40:00'), level: 'error', service: 'control-plane', message: 'database unreachable', code: 'ECONNREFUSED', fatal: true },
      { timestamp: at('12:30:00'), level: 'info', service: 'control-plane', message: 'after the range' },
    ], Date.parse(at('11:59:00')));
    await writeLog(dir, 'ai-dawg.log', [
      { timestamp: at('11:10:00'), level: 'debug', service: 'ai-dawg', message: 'render cache warm' },
      { timestamp: at('11:30:00'), level: 'error', service: 'ai-dawg', message: 'upstream timeout after 3000ms', provider: 'suno' },
      { timestamp: at('11:50:00'), level: 'verbose', service: 'ai-dawg', message: 'worker idle' },
    ], Date.parse(at('11:58:00')));
    // Last written in 2020: cannot hold an entry of the range, so it is not even opened.
    await writeLog(dir, 'ai-dawg2.log', [{ timestamp: '2020-01-01T00:00:00.000Z', level: 'error', service: 'ai-dawg', message: 'ancient' }], Date.parse('2020-01-01T00:00:00Z'));
    await writeLog(dir, 'notes.txt', [{ timestamp: at('11:33:00'), level: 'error', service: 'ai-dawg', message: 'not a log file' }]);
  });

  it('merges the current file, its rotated siblings and the audit log, newest first, within the last hour by default', async () => {
    const { controlPlane, calls } = audit();
    const result = await run({ logDir: dir, controlPlane }, { query: '.' });
    expect(summary(result)).toEqual([
      '11:50:00 ai-dawg debug worker idle',
      '11:45:00 audit info task.event completed task-9',
      '11:40:00 control-plane critical database unreachable',
      '11:35:00 audit critical audit.dropped dropped',
      '11:30:00 ai-dawg error upstream timeout after 3000ms',
      '11:25:00 audit error api.request 503 GET /api/v1/status',
      '11:20:00 control-plane info GET /health 200',
      '11:15:00 audit warn command.denied NOT_ALLOWED rm',
      '11:10:00 ai-dawg debug render cache warm',
      '11:05:00 control-plane warn slow query took 1200ms',
    ]);
    expect(result.timeRange).toEqual({ start: at('11:00:00'), end: at('12:00:00') });
    expect(result.matches[2]).toEqual({
      time: at('11:40:00'), service: 'control-plane', level: 'error', severity: 'critical', message: 'database unreachable',
      source: { kind: 'file', file: 'control-plane.log', line: 4 }, fields: { code: 'ECONNREFUSED', fatal: true },
    });
    expect(result.matches[1]!.source).toEqual({ kind: 'audit', id: 'a-5', seq: 5 });
    expect(result.totals).toEqual({
      matches: 10,
      bySeverity: { debug: 2, info: 2, warn: 2, error: 2, critical: 2 },
      byService: { 'ai-dawg': 3, audit: 4, 'control-plane': 3 },
    });
    const sizes = await Promise.all(['control-plane.log', 'control-plane1.log', 'ai-dawg.log'].map(async (f) => (await readFile(path.join(dir, f))).length));
    expect(result.scanned).toMatchObject({
      files: 3, filesSkippedAsOlder: 1, filesVanished: 0, lines: 10, bytes: sizes.reduce((a, b) => a + b, 0),
      skippedNonJson: 1, skippedNoTimestamp: 1, skippedOversized: 0, auditPages: 1, auditEntries: 4,
    });
    expect(result.sources).toEqual({ files: { status: 'ok' }, audit: { status: 'ok' } });
    expect(result).toMatchObject({ truncated: false, truncatedBy: [] });
    expect(result.anomalies).toBeUndefined();
    expect(calls).toEqual([{ from: at('11:00:00'), to: at('12:00:00'), limit: 500 }]);
  });

  it('matches the regex against the message and the other fields, not the service or level', async () => {
    const { controlPlane } = audit();
    const messages = async (query: string) => (await run({ logDir: dir, controlPlane }, { query })).matches.map((m) => m.message);
    expect(await messages('ECONNREFUSED')).toEqual(['database unreachable']);
    expect(await messages('"provider":"suno"')).toEqual(['upstream timeout after 3000ms']);
    expect(await messages('timeout after \\d+ms$')).toEqual(['upstream timeout after 3000ms']);
    expect(await messages('(?i)DATABASE')).toEqual(['database unreachable']);
    expect(await messages('"subject":"rm"')).toEqual(['command.denied NOT_ALLOWED rm']);
    expect(await messages('control-plane')).toEqual([]);
  });

  it('maps levels and audit outcomes to severities as documented', async () => {
    const { controlPlane } = audit();
    const bySeverity = async (severity: string[]) => summary(await run({ logDir: dir, controlPlane }, { query: '.', severity }));
    expect(await bySeverity(['critical'])).toEqual(['11:40:00 control-plane critical database unreachable', '11:35:00 audit critical audit.dropped dropped']);
    expect(await bySeverity(['info', 'debug'])).toEqual([
      '11:50:00 ai-dawg debug worker idle',
      '11:45:00 audit info task.event completed task-9',
      '11:20:00 control-plane info GET /health 200',
      '11:10:00 ai-dawg debug render cache warm',
    ]);
    const result = await run({ logDir: dir, controlPlane }, { query: 'GET /health' });
    expect(result.matches[0]).toMatchObject({ level: 'http', severity: 'info' });
    expect(result.severityMapping['file info | http | notice']).toBe('info');
  });

  it('keeps to the services asked for, asking the audit log only when "audit" is among them', async () => {
    const onlyDawg = audit();
    const dawg = await run({ logDir: dir, controlPlane: onlyDawg.controlPlane }, { query: '.', services: ['ai-dawg'] });
    expect(dawg.matches.map((m) => m.message)).toEqual(['worker idle', 'upstream timeout after 3000ms', 'render cache warm']);
    expect(dawg.sources.audit).toEqual({ status: 'not-requested' });
    expect(onlyDawg.calls).toEqual([]);
    // Only ai-dawg.log was opened (the 2020 sibling is skipped by its age).
    expect(dawg.scanned).toMatchObject({ files: 1, filesSkippedAsOlder: 1 });

    const onlyAudit = audit();
    const auditOnly = await run({ logDir: dir, controlPlane: onlyAudit.controlPlane }, { query: '.', services: ['audit'] });
    expect(auditOnly.matches.map((m) => m.service)).toEqual(['audit', 'audit', 'audit', 'audit']);
    expect(auditOnly.sources.files).toEqual({ status: 'not-requested' });
    expect(auditOnly.scanned.files).toBe(0);
  });

  it('returns the newest `limit` matches, counts them all, and says it truncated', async () => {
    const result = await run({ logDir: dir, controlPlane: audit().controlPlane }, { query: '.', limit: 3 });
    expect(result.matches.map((m) => m.time)).toEqual([at('11:50:00'), at('11:45:00'), at('11:40:00')]);
    expect(result.totals.matches).toBe(10);
    expect(result).toMatchObject({ truncated: true, truncatedBy: ['limit'] });
  });

  it('stops at the byte budget, newest file first, and says so', async () => {
    const newest = (await readFile(path.join(dir, 'control-plane.log'))).length;
    const result = await run({ logDir: dir, controlPlane: audit().controlPlane, maxScanBytes: newest + 10 }, { query: '.', services: ['control-plane', 'ai-dawg'] });
    expect(result.scanned).toMatchObject({ bytes: newest, lines: 5, files: 2 });
    expect(result.matches.map((m) => m.message)).toEqual(['database unreachable', 'GET /health 200']);
    expect(result).toMatchObject({ truncated: true, truncatedBy: ['scan-bytes'] });
  });

  it('pages through the audit log with the before cursor, within a page budget', async () => {
    const entries = Array.from({ length: 1200 }, (_, i) => auditEntry(i + 1, new Date(Date.parse(at('11:00:00')) + i * 1000).toISOString(), 'task.event', 'completed'));
    const { controlPlane, calls } = fakeAudit(entries);
    const result = await run({ logDir: undefined, controlPlane, maxAuditPages: 2 }, { query: 'task', services: ['audit'], limit: 1000 });
    expect(calls.map((c) => c.before)).toEqual([undefined, 701]);
    expect(result.scanned).toMatchObject({ auditPages: 2, auditEntries: 1000 });
    expect(result.totals.matches).toBe(1000);
    expect(result.matches[0]!.source).toEqual({ kind: 'audit', id: 'a-1200', seq: 1200 });
    expect(result).toMatchObject({ truncated: true, truncatedBy: ['audit-pages'] });
  });

  it('stops paging at the start of the range even when the control plane ignores it', async () => {
    const entries = Array.from({ length: 1200 }, (_, i) => auditEntry(i + 1, new Date(Date.parse(at('10:00:00')) + i * 6000).toISOString(), 'task.event', 'completed'));
    const { controlPlane, calls } = fakeAudit(entries, { ignoreRange: true });
    const result = await run({ logDir: undefined, controlPlane }, { query: '.', services: ['audit'], limit: 1000 });
    // 10:00 + 6 s × i: 11:00 is i = 600, 12:00 is i = 1200 (beyond the last entry).
    expect(result.totals.matches).toBe(600);
    expect(calls).toHaveLength(2);
    expect(result.truncated).toBe(false);
  });

  it('searches only the audit log when no log directory is configured, and reports a missing directory', async () => {
    const disabled = await run({ logDir: undefined, controlPlane: audit().controlPlane }, { query: '.' });
    expect(disabled.sources).toEqual({ files: { status: 'disabled' }, audit: { status: 'ok' } });
    expect(disabled.totals.matches).toBe(4);
    const missing = await run({ logDir: path.join(root, 'never-created'), controlPlane: audit().controlPlane }, { query: '.' });
    expect(missing.sources.files).toEqual({ status: 'missing' });
  });

  it('reports an audit log it could not read and still returns the file matches', async () => {
    const controlPlane: Pick<ControlPlaneClient, 'audit'> = { audit: () => Promise.reject(Object.assign(new Error('control plane unreachable'), { code: 'ECONNREFUSED' })) };
    const result = await run({ logDir: dir, controlPlane }, { query: '.' });
    expect(result.sources.audit).toEqual({ status: 'failed', error: { code: 'AUDIT_UNAVAILABLE', message: 'control plane unreachable' } });
    expect(result.totals.matches).toBe(6);
  });

  it('rejects an invalid or unsupported regex with a 400 naming params.query', async () => {
    for (const query of ['(unclosed', '(?=lookahead)', '(a)\\1', '[a-z]{1000}']) {
      await expect(run({ logDir: dir, controlPlane: audit().controlPlane }, { query })).rejects.toMatchObject({
        status: 400,
        code: 'VALIDATION_FAILED',
        details: { issues: [expect.objectContaining({ field: 'params.query' })] },
      });
    }
  });

  it('validates the time range, the arrays and unknown fields', async () => {
    const issues = async (params: Record<string, unknown>) => {
      const err = (await run({ logDir: dir, controlPlane: audit().controlPlane }, params).catch((e: unknown) => e)) as { status: number; details: { issues: Array<{ field: string; message: string }> } };
      expect(err.status).toBe(400);
      return err.details.issues;
    };
    expect(await issues({ query: 'x', timeRange: { start: at('11:00:00'), end: at('10:00:00') } })).toEqual([{ field: 'params.timeRange.end', message: 'must be after start' }]);
    expect(await issues({ query: 'x', timeRange: { start: '2025-01-01T00:00:00Z', end: '2025-02-15T00:00:00Z' } })).toEqual([{ field: 'params.timeRange.end', message: 'must be at most 31 days after start' }]);
    expect((await issues({ query: 'x', timeRange: { start: 'yesterday', end: at('10:00:00') } }))[0]!.field).toBe('params.timeRange.start');
    expect((await issues({ query: 'x', severity: ['fatal'] }))[0]!.field).toBe('params.severity.0');
    expect((await issues({ query: 'x', limit: 1001 }))[0]!.field).toBe('params.limit');
    expect((await issues({ query: 'x', services: ['../etc'] }))[0]!.field).toBe('params.services.0');
    expect(await issues({ query: 'x', colour: 'red' })).toEqual([{ field: 'params.colour', message: 'is not a known field' }]);
  });

  it('takes an explicit time range', async () => {
    const result = await run({ logDir: dir, controlPlane: audit().controlPlane }, { query: '.', timeRange: { start: at('10:00:00'), end: at('11:00:00') } });
    expect(summary(result)).toEqual(['10:50:00 audit info command.allowed started ls', '10:30:00 control-plane info server started on port 4000']);
  });

  it('stops when the caller aborts', async () => {
    const before = new AbortController();
    before.abort(new Error('client went away'));
    await expect(run({ logDir: dir, controlPlane: audit().controlPlane }, { query: '.' }, before.signal)).rejects.toThrow('client went away');

    const during = new AbortController();
    const entries = Array.from({ length: 1200 }, (_, i) => auditEntry(i + 1, new Date(Date.parse(at('11:00:00')) + i * 1000).toISOString(), 'task.event', 'completed'));
    const { controlPlane, calls } = fakeAudit(entries, { onCall: () => during.abort(new Error('client went away mid-scan')) });
    await expect(run({ logDir: dir, controlPlane }, { query: '.' }, during.signal)).rejects.toThrow('client went away mid-scan');
    expect(calls).toHaveLength(1);
  });
});

describe('query-logs regex safety', () => {
  it('runs a classic ReDoS pattern over a long line and gives the right answer', async () => {
    const dir = await mkdtemp(path.join(root, 'redos-'));
    const evil = `${'a'.repeat(50_000)}!`;
    await writeLog(dir, 'svc.log', [
      { timestamp: at('11:10:00'), level: 'info', service: 'svc', message: evil },
      { timestamp: at('11:20:00'), level: 'info', service: 'svc', message: 'aaaa' },
    ]);
    const { controlPlane } = fakeAudit([]);
    const backtracking = await run({ logDir: dir, controlPlane }, { query: '(a+)+$' });
    expect(backtracking.matches.map((m) => m.message)).toEqual(['aaaa']);
    const anchored = await run({ logDir: dir, controlPlane }, { query: '^(a+)+!$' });
    expect(anchored.matches).toHaveLength(1);
    expect(anchored.matches[0]).toMatchObject({ message: `${'a'.repeat(2000)}…`, clipped: { messageChars: 50_001 } });
  });
});

describe('query-logs anomaly detection', () => {
  /** Ten or eleven errors a minute (flat, well above the minimum count), an info line a minute, and a baseline hour before. */
  async function anomalyDir(withSpike: boolean): Promise<string> {
    const dir = await mkdtemp(path.join(root, 'anomaly-'));
    const lines: Record<string, unknown>[] = [];
    const time = (hour: number, minute: number, second: number, ms = 0) => Date.UTC(2025, 2, 1, hour, minute, second, ms);
    for (let minute = 0; minute < 60; minute++) {
      lines.push({ timestamp: new Date(time(10, minute, 10)).toISOString(), level: 'error', service: 'ai-dawg', message: 'upstream call failed with status 503' });
      lines.push({ timestamp: new Date(time(10, minute, 20)).toISOString(), level: 'info', service: 'ai-dawg', message: 'request served in 5ms' });
    }
    for (let minute = 0; minute < 60; minute++) {
      for (let i = 0; i < (minute % 2 === 0 ? 10 : 11); i++) {
        lines.push({ timestamp: new Date(time(11, minute, 10, i)).toISOString(), level: 'error', service: 'ai-dawg', message: 'upstream call failed with status 502' });
      }
      lines.push({ timestamp: new Date(time(11, minute, 20)).toISOString(), level: 'info', service: 'ai-dawg', message: `request served in ${minute + 7}ms` });
      if (withSpike && minute === 30) {
        for (let i = 0; i < 20; i++) lines.push({ timestamp: new Date(time(11, 30, 30, i)).toISOString(), level: 'error', service: 'ai-dawg', message: `disk full on volume ${i % 3}` });
      }
    }
    await writeLog(dir, 'ai-dawg.log', lines);
    return dir;
  }

  it('finds a seeded error spike and a new message template', async () => {
    const result = await run({ logDir: await anomalyDir(true), controlPlane: fakeAudit([]).controlPlane }, { query: '.', detectAnomalies: true });
    expect(result.anomalies!.spikes).toMatchObject({
      status: 'ok',
      found: [{ service: 'ai-dawg', bucketStart: at('11:30:00'), count: 30, baseline: { median: 11, mad: 0.5, scale: 1 }, score: 19 }],
    });
    expect(result.anomalies!.newTemplates).toMatchObject({
      status: 'ok',
      baseline: { start: at('10:00:00'), end: at('11:00:00'), entries: 120, complete: true },
      found: [{ service: 'ai-dawg', template: 'disk full on volume <num>', count: 20, firstSeen: '2025-03-01T11:30:30.000Z', example: 'disk full on volume 0' }],
    });
    // The baseline hour feeds the detector only: the window's totals are the window's.
    expect(result.totals.matches).toBe(630 + 60 + 20);
  });

  it('does not flag a flat series or templates already seen in the baseline', async () => {
    const result = await run({ logDir: await anomalyDir(false), controlPlane: fakeAudit([]).controlPlane }, { query: '.', detectAnomalies: true });
    expect(result.anomalies!.spikes).toMatchObject({ status: 'ok', found: [] });
    expect(result.anomalies!.newTemplates).toMatchObject({ status: 'ok', found: [] });
  });

  it('skips the template check when the baseline has no entries, and spikes on too short a window', async () => {
    const dir = await mkdtemp(path.join(root, 'anomaly-short-'));
    await writeLog(dir, 'svc.log', [{ timestamp: at('11:57:00'), level: 'error', service: 'svc', message: 'boom' }]);
    const result = await run({ logDir: dir, controlPlane: fakeAudit([]).controlPlane }, { query: '.', detectAnomalies: true, timeRange: { start: at('11:55:00'), end: at('12:00:00') } });
    expect(result.anomalies!.spikes.status).toBe('skipped');
    expect(result.anomalies!.newTemplates).toMatchObject({ status: 'skipped', baseline: { entries: 0 } });
  });

  it('normalises variable parts of messages into templates', () => {
    expect(messageTemplate('task 8c0a9f3e-1b2c-4d5e-8f90-123456789abc failed after 3000ms for "bob" at 2025-03-01T11:00:00.000Z, commit 9fceb02d0ae5')).toBe(
      'task <uuid> failed after <num>ms for <str> at <time>, commit <hex>',
    );
    expect(messageTemplate("can't reach 'db-1' (attempt 3 of 5)")).toBe("can't reach <str> (attempt <num> of <num>)");
  });
});

describe('logger file option and the reader', () => {
  async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (await condition()) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`gave up waiting for ${what}`);
  }

  it('writes redacted JSON lines, rotated, that query-logs then finds', async () => {
    const dir = await mkdtemp(path.join(root, 'roundtrip-'));
    const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
    const logger = createLogger({ level: 'debug', service: 'roundtrip', stream: quiet, file: { dir, maxBytes: 1500, maxFiles: 10 } });
    const lineCount = async () => {
      let total = 0;
      for (const name of await readdir(dir)) {
        // A rotation may rename the file between the listing and the read: count again next time.
        const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
        if (text === undefined) return -1;
        total += text.split('\n').filter(Boolean).length;
      }
      return total;
    };
    // One line at a time: winston's size check runs per write, and a burst before the file is open can be lost.
    for (let i = 0; i < 30; i++) {
      logger.info(`order ${i} shipped`, { orderId: i, apiKey: 'sk-do-not-log' });
      await waitFor(async () => (await lineCount()) === i + 1, `line ${i}`);
      // Distinct milliseconds, so newest-first order is the order written.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    logger.close();
    expect((await readdir(dir)).sort()).toEqual(expect.arrayContaining(['roundtrip.log', 'roundtrip1.log']));

    const result = await run({ logDir: dir, controlPlane: fakeAudit([]).controlPlane, now: Date.now }, { query: 'order \\d+ shipped', services: ['roundtrip'], limit: 1000 });
    expect(result.totals.matches).toBe(30);
    expect(result.scanned.files).toBeGreaterThan(1);
    expect(result.matches.map((m) => m.message)).toEqual(Array.from({ length: 30 }, (_, i) => `order ${29 - i} shipped`));
    expect(result.matches[0]).toMatchObject({ service: 'roundtrip', level: 'info', severity: 'info', fields: { orderId: 29, apiKey: '[redacted]' } });
  });
});
