import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { JarvisSnapshotSource, SnapshotTemplate } from '../../src/control-plane/analytics/jarvis-snapshot';
import { JarvisReadOnlySource, type JarvisQuerySource, type JarvisSourceState } from '../../src/control-plane/analytics/jarvis-source';
import { ApiKeyService } from '../../src/control-plane/auth';
import { mountInternalRoutes } from '../../src/control-plane/http/internal.routes';
import { errorMapper } from '../../src/common/http/error.middleware';
import { requestId } from '../../src/common/http/request-id.middleware';
import { openTestDb, TEST_DATABASE_URL, type TestDb } from '../helpers/db';
import { countTurns } from '../helpers/event-loop';
import { silentLogger } from '../helpers/logger';
import { SERVICE_TOKEN } from '../helpers/servers';

jest.setTimeout(60_000);

/** One workflow and five tasks: three DataScientist (one failed), two MixingEngineer. */
async function seed(db: TestDb['db']): Promise<void> {
  await db.query("INSERT INTO workflows (id, name, status) VALUES ('wf_1', 'w', 'running')");
  for (let i = 0; i < 5; i++) {
    await db.query(
      `INSERT INTO tasks (id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable)
       VALUES ($1, $2, 'noop', 'medium', '{"a": [1, 2]}', $3, 3, 1000, true)`,
      [`tsk_${randomUUID()}`, i < 3 ? 'DataScientist' : 'MixingEngineer', i === 0 ? 'failed' : 'completed'],
    );
  }
}

/** The internal route over `state`, as the control plane mounts it, and a way to post to it. */
function internalRoute(state: JarvisSourceState, apiKeys?: ApiKeyService) {
  const app = express();
  app.use(requestId());
  mountInternalRoutes(app, { serviceToken: SERVICE_TOKEN, analytics: state, ...(apiKeys ? { apiKeys } : {}) });
  app.use(errorMapper(silentLogger()));
  return (body: object) => request(app).post('/internal/v1/analytics/query').set('authorization', `Bearer ${SERVICE_TOKEN}`).send(body);
}

const SECRET = 'analytics-reader-secret-0123456789abcdef';

describe('analytics source "jarvis" on server PostgreSQL', () => {
  let t: TestDb;
  let source: JarvisQuerySource;

  beforeAll(async () => {
    t = await openTestDb('postgres');
    await seed(t.db);
    const state = await JarvisReadOnlySource.open({ db: t.db, url: TEST_DATABASE_URL, secret: SECRET, logger: silentLogger() });
    if (!state.available) throw new Error(state.reason);
    source = state.source;
  });
  afterAll(async () => {
    await source?.close();
    await t.drop();
  });

  const ask = (sql: string, extra: Partial<Parameters<JarvisQuerySource['query']>[0]> = {}) => source.query({ sql, params: [], maxRows: 100, timeoutMs: 5_000, ...extra });

  it('answers a read-only query over the control plane’s tables with typed columns', async () => {
    const answer = await ask('SELECT agent, count(*) AS tasks, min(created_at) AS first FROM tasks WHERE status = $1 GROUP BY agent ORDER BY agent;', { params: ['completed'] });
    expect(answer.columns).toEqual([{ name: 'agent', type: 'text' }, { name: 'tasks', type: 'bigint' }, { name: 'first', type: 'timestamp with time zone' }]);
    expect(answer.rows.map((r) => [r.agent, r.tasks])).toEqual([['DataScientist', '2'], ['MixingEngineer', '2']]);
    expect(typeof answer.rows[0]!.first).toBe('string');
    expect(answer).toMatchObject({ source: 'jarvis', rowCount: 2, truncated: false });
  });

  it('caps the rows and says so', async () => {
    const answer = await ask('SELECT id FROM tasks', { maxRows: 2 });
    expect(answer).toMatchObject({ rowCount: 2, truncated: true });
    expect(answer.hints.join(' ')).toContain('More than 2 rows matched');
  });

  it.each([
    ['SELECT * FROM api_keys', 403, 'SOURCE_PERMISSION_DENIED'],
    ['SELECT * FROM audit_log', 403, 'SOURCE_PERMISSION_DENIED'],
    ['SELECT * FROM memories', 403, 'SOURCE_PERMISSION_DENIED'],
    ["SELECT set_config('role', 'postgres', true), (SELECT count(*) FROM api_keys)", 403, 'SOURCE_PERMISSION_DENIED'],
    ["SELECT pg_read_file('/etc/passwd')", 403, 'SOURCE_PERMISSION_DENIED'],
    ['DELETE FROM tasks', 400, 'VALIDATION_FAILED'],
    ['SET ROLE postgres', 400, 'VALIDATION_FAILED'],
    ['SELECT 1) AS q; DROP TABLE tasks; --', 400, 'VALIDATION_FAILED'],
    ['SELEC 1', 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (sql, status, code) => {
    await expect(ask(sql)).rejects.toMatchObject({ status, code });
    // Nothing was changed or dropped.
    expect((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM tasks'))[0]!.n).toBe('5');
  });

  it('cannot become another role, even through set_config in the same statement', async () => {
    await expect(ask("SELECT set_config('role', 'postgres', true) AS r")).rejects.toMatchObject({ status: 403 });
    const who = await ask('SELECT current_user AS u, session_user AS s');
    expect(who.rows[0]).toEqual({ u: `jarvis_ro_${t.db.schema}`.slice(0, 63), s: `jarvis_ro_${t.db.schema}`.slice(0, 63) });
  });

  it('cancels a statement past its time limit (504) and when the caller goes away', async () => {
    await expect(ask('SELECT pg_sleep(5)', { timeoutMs: 200 })).rejects.toMatchObject({ status: 504, code: 'QUERY_TIMEOUT' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller left')), 200);
    const started = Date.now();
    await expect(ask('SELECT pg_sleep(5)', { signal: controller.signal })).rejects.toThrow('caller left');
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('is served to the DAWG for admin keys only', async () => {
    const keys = new ApiKeyService(t.db, { integrationToken: 'x'.repeat(40) });
    const admin = await keys.create('admin', ['admin']);
    const plain = await keys.create('plain', []);
    const post = internalRoute({ available: true, source }, keys);
    const query = { sql: 'SELECT count(*)::int AS n FROM tasks', maxRows: 10, timeoutMs: 1_000 };
    const ok = await post({ ...query, actor: admin.id });
    expect(ok.status).toBe(200);
    expect(ok.body.rows).toEqual([{ n: 5 }]);
    const refused = await post({ ...query, actor: plain.id });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('admin scope');
    expect((await post({ ...query, actor: 'agent:DataScientist' })).status).toBe(403);
    const bad = await post({ ...query, maxRows: 0, actor: admin.id });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('maxRows');
  });
});

/** One template for every source here: only the first worker runs initdb (as within one control plane). */
const template = new SnapshotTemplate();

describe('analytics source "jarvis" on the embedded database (a copy in a worker thread)', () => {
  let t: TestDb;
  let source: JarvisSnapshotSource;

  beforeAll(async () => {
    t = await openTestDb('pglite');
    await seed(t.db);
    source = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template });
  });
  afterAll(async () => {
    await source?.close();
    await t?.drop();
  });

  const ask = (sql: string, extra: Partial<Parameters<JarvisQuerySource['query']>[0]> = {}, from: JarvisQuerySource = source) =>
    from.query({ sql, params: [], maxRows: 100, timeoutMs: 10_000, ...extra });
  const taskCount = async () => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM tasks'))[0]!.n);

  it('answers a read-only query over the control plane’s tables with typed columns, saying when the copy was taken', async () => {
    const answer = await ask('SELECT agent, count(*) AS tasks, min(created_at) AS first, max(payload::text) AS payload FROM tasks WHERE status = $1 GROUP BY agent ORDER BY agent;', { params: ['completed'] });
    expect(answer.columns).toEqual([{ name: 'agent', type: 'text' }, { name: 'tasks', type: 'bigint' }, { name: 'first', type: 'timestamp with time zone' }, { name: 'payload', type: 'text' }]);
    expect(answer.rows.map((r) => [r.agent, String(r.tasks)])).toEqual([['DataScientist', '2'], ['MixingEngineer', '2']]);
    expect(typeof answer.rows[0]!.first).toBe('string');
    expect(JSON.parse(answer.rows[0]!.payload as string)).toEqual({ a: [1, 2] });
    expect(answer).toMatchObject({ source: 'jarvis', rowCount: 2, truncated: false });
    expect(answer.hints[0]).toMatch(/^Embedded database: answered from a copy of the tables taken at \d{4}-\d{2}-\d{2}T/);
    // Every table fits: no note about rows left out.
    expect(answer.hints).toHaveLength(1);
  });

  it('caps the rows and says so', async () => {
    const answer = await ask('SELECT id FROM tasks', { maxRows: 2 });
    expect(answer).toMatchObject({ rowCount: 2, truncated: true });
    expect(answer.hints.join(' ')).toContain('More than 2 rows matched');
  });

  it.each([
    ['SELECT * FROM api_keys', 'source jarvis has only the tables'],
    ['SELECT * FROM audit_log', 'source jarvis has only the tables'],
    ['SELECT * FROM memories', 'source jarvis has only the tables'],
    ["SELECT pg_read_file('/etc/passwd')", 'could not open file'],
    ['DELETE FROM tasks', ''],
    ['SET ROLE postgres', ''],
    ['SELECT 1) AS q; DROP TABLE tasks; --', ''],
    ['SELEC 1', ''],
  ])('refuses %s with a 400 naming params.sql, and changes nothing', async (sql, message) => {
    await expect(ask(sql)).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: { issues: [expect.objectContaining({ field: 'params.sql', message: expect.stringContaining(message) })] } });
    expect(await taskCount()).toBe(5);
  });

  it('ends a statement past its time limit (504) by ending the worker, while the control plane’s own database keeps answering', async () => {
    const runaway = ask('SELECT count(*) FROM generate_series(1, 4000000000)', { timeoutMs: 500 });
    const order: string[] = [];
    const settled = runaway.then(() => order.push('runaway answered'), (err: { status?: number; code?: string }) => order.push(`runaway ${err.status} ${err.code}`));
    // The statement runs on the copy: the embedded database itself is free meanwhile.
    await t.db.query('SELECT 1');
    order.push('own database answered');
    await settled;
    expect(order).toEqual(['own database answered', 'runaway 504 QUERY_TIMEOUT']);
    // The next query gets a new worker and a new copy.
    expect((await ask('SELECT count(*)::int AS n FROM tasks')).rows).toEqual([{ n: 5 }]);
  });

  it('starts later workers from the first one’s fresh database, and runs initdb again should that not load', async () => {
    // The first worker of this file ran initdb and left its data directory here.
    await ask('SELECT 1 AS one');
    const made = template.bytes;
    expect(made?.byteLength).toBeGreaterThan(100_000);
    // A worker that started from it answers and leaves no new one (a worker that ran initdb would).
    await source.close();
    expect((await ask('SELECT count(*)::int AS n FROM tasks')).rows).toEqual([{ n: 5 }]);
    expect(template.bytes).toBe(made);
    // One that does not load: the worker runs initdb, answers, and replaces it.
    const broken = new SnapshotTemplate();
    broken.set(new Uint8Array([31, 139, 8, 0, 1, 2, 3]));
    const other = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template: broken });
    try {
      expect((await ask('SELECT count(*)::int AS n FROM tasks', {}, other)).rows).toEqual([{ n: 5 }]);
      expect(broken.bytes?.byteLength).toBeGreaterThan(100_000);
    } finally {
      await other.close();
    }
  });

  it('keeps the template in a file for the next process, and replaces a file that does not load', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'snapshot-template-'));
    const file = path.join(dir, 'cache', 'analytics-snapshot-template.tar.gz');
    /** A source (a process's first worker) on `template`, asked once, then closed. */
    const countOnce = async (template: SnapshotTemplate, table: string) => {
      const source = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template });
      try {
        return (await ask(`SELECT count(*)::int AS n FROM ${table}`, {}, source)).rows;
      } finally {
        await source.close();
      }
    };
    try {
      // A process whose first worker runs initdb writes the file (the directory made as needed).
      const first = new SnapshotTemplate({ file });
      expect(await countOnce(first, 'tasks')).toEqual([{ n: 5 }]);
      await first.saved;
      const written = readFileSync(file);
      expect(written.equals(Buffer.from(first.bytes!))).toBe(true);
      // The next process's first worker starts from the file: it answers and makes no new one.
      const next = new SnapshotTemplate({ file });
      expect(await countOnce(next, 'workflows')).toEqual([{ n: 1 }]);
      // (Another initdb's dump would differ: each has its own system identifier.)
      expect(Buffer.from(next.bytes!).equals(written)).toBe(true);
      // A damaged file: initdb, and the file is replaced by a good one.
      writeFileSync(file, 'not a template');
      const damaged = new SnapshotTemplate({ file });
      expect(await countOnce(damaged, 'tasks')).toEqual([{ n: 5 }]);
      await damaged.saved;
      expect(readFileSync(file).byteLength).toBeGreaterThan(100_000);
      expect(readdirSync(path.dirname(file))).toEqual(['analytics-snapshot-template.tar.gz']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends the statement when the caller goes away', async () => {
    const controller = new AbortController();
    const running = ask('SELECT count(*) FROM generate_series(1, 4000000000)', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('caller left')), 300);
    await expect(running).rejects.toThrow('caller left');
    expect((await ask('SELECT count(*)::int AS n FROM workflows')).rows).toEqual([{ n: 1 }]);
  });

  it('takes the copy again once it is older than maxAgeMs, and copies at most maxRowsPerTable rows of a table, newest first', async () => {
    const fresh = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template, maxAgeMs: 0, maxRowsPerTable: 3 });
    try {
      const before = await ask('SELECT count(*)::int AS n FROM tasks', {}, fresh);
      expect(before.rows).toEqual([{ n: 3 }]);
      expect(before.hints).toContain('tasks: the copy holds the newest 3 rows; older ones are left out');
      await t.db.query("INSERT INTO workflows (id, name, status) VALUES ('wf_2', 'w2', 'completed')");
      expect((await ask('SELECT id FROM workflows ORDER BY id', {}, fresh)).rows).toEqual([{ id: 'wf_1' }, { id: 'wf_2' }]);
    } finally {
      await fresh.close();
    }
    // A byte limit cuts the same way: two tasks' rows are well under 1 KB, five are not.
    const small = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template, maxBytesPerTable: 2 * 300 });
    try {
      const answer = await ask('SELECT count(*)::int AS n FROM tasks', {}, small);
      const n = (answer.rows[0] as { n: number }).n;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(5);
      expect(answer.hints).toContain(`tasks: the copy holds the newest ${n} rows; older ones are left out`);
    } finally {
      await small.close();
      await t.db.query("DELETE FROM workflows WHERE id = 'wf_2'");
    }
  });

  it('is served to the DAWG for admin keys only', async () => {
    const keys = new ApiKeyService(t.db, { integrationToken: 'x'.repeat(40) });
    const admin = await keys.create('admin', ['admin']);
    const plain = await keys.create('plain', []);
    const post = internalRoute({ available: true, source }, keys);
    const query = { sql: 'SELECT count(*)::int AS n FROM tasks', maxRows: 10, timeoutMs: 5_000 };
    const ok = await post({ ...query, actor: admin.id });
    expect(ok.status).toBe(200);
    expect(ok.body.rows).toEqual([{ n: 5 }]);
    expect((await post({ ...query, actor: plain.id })).status).toBe(403);
  });
});

describe('analytics source "jarvis" without a database URL', () => {
  it('is unavailable, with the reason, and the internal route answers 501', async () => {
    const t = await openTestDb('pglite');
    try {
      const state = await JarvisReadOnlySource.open({ db: t.db, url: undefined, secret: SECRET, logger: silentLogger() });
      expect(state).toEqual({ available: false, reason: expect.stringContaining('DATABASE_URL') });
      const res = await internalRoute(state)({ sql: 'SELECT 1', maxRows: 1, timeoutMs: 1_000, actor: 'key_x' });
      expect(res.status).toBe(501);
      expect(res.body.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    } finally {
      await t.drop();
    }
  });
});

describe('analytics source "jarvis" on the embedded database: the copy is read in chunks', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb('pglite');
    // Seven workflows in one statement share one created_at: the keyset must still go on by id.
    await t.db.query("INSERT INTO workflows (id, name, status) SELECT 'wf_' || g, 'w', 'completed' FROM generate_series(1, 7) g");
    await t.db.query(
      `INSERT INTO tasks (id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable)
       SELECT 'tsk_' || lpad(g::text, 3, '0'), 'DataScientist', 'noop', 'medium', jsonb_build_object('n', g), 'completed', 3, 1000, true
       FROM generate_series(1, 25) g`,
    );
  });
  afterAll(async () => {
    await t?.drop();
  });

  /** The database as the copy sees it, counting the statements that read tasks and the event-loop turns between them. */
  function watched() {
    const counter = countTurns();
    const taskReads: number[] = [];
    const db = new Proxy(t.db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (text: string, params?: readonly unknown[]) => {
          if (/FROM \S+\.tasks AS t/.test(text)) taskReads.push(counter.turns);
          return target.query(text, params);
        };
      },
    });
    return { db, taskReads, stop: () => counter.stop() };
  }

  const ask = (source: JarvisSnapshotSource, sql: string) => source.query({ sql, params: [], maxRows: 100, timeoutMs: 10_000 });

  it('copies every row across chunk boundaries (ties on created_at included), letting the event loop turn between chunks', async () => {
    const w = watched();
    const source = new JarvisSnapshotSource({ db: w.db, logger: silentLogger(), template, rowsPerRead: 4, maxAgeMs: 600_000 });
    try {
      const tasks = await ask(source, "SELECT string_agg(id, ',' ORDER BY seq) AS ids, sum((payload->>'n')::int)::int AS total FROM tasks");
      w.stop();
      // 25 rows, 4 per statement: 7 statements, each after the event loop has turned.
      expect(w.taskReads).toHaveLength(7);
      for (let i = 1; i < w.taskReads.length; i++) expect(w.taskReads[i]!).toBeGreaterThan(w.taskReads[i - 1]!);
      const expected = await t.db.query<{ ids: string }>("SELECT string_agg(id, ',' ORDER BY seq) AS ids FROM tasks");
      expect(tasks.rows).toEqual([{ ids: expected[0]!.ids, total: 325 }]);
      expect((await ask(source, 'SELECT id FROM workflows ORDER BY id')).rows).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => ({ id: `wf_${n}` })).sort((a, b) => a.id.localeCompare(b.id)));
      expect(tasks.hints).toHaveLength(1);
    } finally {
      w.stop();
      await source.close();
    }
  });

  it('applies the row and byte limits across chunks, newest first', async () => {
    const rows = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template, rowsPerRead: 4, maxRowsPerTable: 10 });
    const size = Number((await t.db.query<{ b: string }>("SELECT pg_column_size(t.*) AS b FROM tasks t WHERE id = 'tsk_025'"))[0]!.b);
    // Room for the newest six task rows and a part of the seventh (all rows of this table are the same size).
    const bytes = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template, rowsPerRead: 4, maxBytesPerTable: size * 6 + Math.floor(size / 2) });
    try {
      for (const [source, n] of [[rows, 10], [bytes, 6]] as const) {
        const answer = await ask(source, 'SELECT min(id) AS oldest, max(id) AS newest, count(*)::int AS n FROM tasks');
        expect(answer.rows).toEqual([{ oldest: `tsk_${String(26 - n).padStart(3, '0')}`, newest: 'tsk_025', n }]);
        expect(answer.hints).toContain(`tasks: the copy holds the newest ${n} rows; older ones are left out`);
      }
      // Exactly at the limit: nothing is left out, and nothing is said.
      const exact = new JarvisSnapshotSource({ db: t.db, logger: silentLogger(), template, rowsPerRead: 5, maxRowsPerTable: 25 });
      try {
        const answer = await ask(exact, 'SELECT count(*)::int AS n FROM tasks');
        expect(answer.rows).toEqual([{ n: 25 }]);
        expect(answer.hints).toHaveLength(1);
      } finally {
        await exact.close();
      }
    } finally {
      await rows.close();
      await bytes.close();
    }
  });
});
