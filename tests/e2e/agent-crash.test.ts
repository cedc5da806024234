import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { openPglite, type Db } from '../../src/common/db';
import { dropSchema, TEST_DATABASE_URL, uniqueName } from '../helpers/db';

/**
 * Crash safety and scale-out with real processes: instances of the agent system run as
 * children (tests/helpers/agent-child.ts); one is killed with SIGKILL while tasks run, and
 * two share one queue.
 */
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX_LOADER = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const children: ChildProcess[] = [];

interface Child {
  proc: ChildProcess;
  waitFor(line: string, timeoutMs?: number): Promise<void>;
  exited: Promise<void>;
}

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['--import', TSX_LOADER, path.join(ROOT, 'tests/helpers/agent-child.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    proc,
    exited,
    waitFor: (line, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = setInterval(() => {
          if (out.includes(line)) {
            clearInterval(check);
            resolve();
          } else if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
            clearInterval(check);
            reject(new Error(`child never printed ${line}; stdout: ${out.slice(-500)} stderr: ${err.slice(-2000)}`));
          }
        }, 25);
      }),
  };
}

async function stopChild(child: Child): Promise<void> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
  await child.exited;
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

const CRASH_TASKS = [
  ...Array.from({ length: 4 }, (_, n) => ({ taskType: 'record', payload: { n, ms: 4_000 } })),
  ...Array.from({ length: 2 }, () => ({ taskType: 'sleep-once', payload: { ms: 4_000 } })),
];

interface TaskState {
  task_type: string;
  status: string;
  error: { code: string } | null;
  attempts: number;
}

type Query = <R>(sql: string) => Promise<R[]>;
const viaClient = (client: Client): Query => async <R>(sql: string) => (await client.query(sql)).rows as R[];
const viaDb = (db: Db): Query => async <R>(sql: string) => (await db.query(sql)) as R[];

async function checkCrashOutcome(q: Query): Promise<void> {
  const tasks = await q<TaskState>('SELECT task_type, status, error, attempts FROM tasks ORDER BY created_at');
  expect(tasks).toHaveLength(CRASH_TASKS.length);
  // Nothing stays running, nothing is lost.
  for (const t of tasks.filter((x) => x.task_type === 'record')) expect(t).toMatchObject({ status: 'completed', attempts: 2 });
  for (const t of tasks.filter((x) => x.task_type === 'sleep-once')) expect(t).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED' } });
  // The resumed tasks ran to the end once: one row each, written by the second instance.
  const runs = await q<{ task_id: string; n: string }>('SELECT task_id, count(*) AS n FROM probe_runs GROUP BY task_id');
  if (process.env.DEBUG_CRASH) {
    console.log(JSON.stringify(await q('SELECT * FROM probe_runs ORDER BY at')), JSON.stringify(await q('SELECT job_id, type, data, at FROM task_events ORDER BY id')));
  }
  expect(runs).toHaveLength(4);
  for (const r of runs) expect(Number(r.n)).toBe(1);
  const events = await q<{ type: string; n: string }>(`SELECT type, count(*) AS n FROM task_events WHERE type IN ('task.requeued', 'task.failed') GROUP BY type ORDER BY type`);
  expect(events.map((e) => [e.type, Number(e.n)])).toEqual([
    ['task.failed', 2],
    ['task.requeued', 4],
  ]);
}

describe('crash recovery (SIGKILL of a running instance)', () => {
  it('on PostgreSQL: the next instance resumes resumable tasks and fails the others "interrupted"', async () => {
    const schema = uniqueName('crash');
    const env = { DB_KIND: 'postgres', DB_SCHEMA: schema };
    try {
      const first = startChild({ ...env, ENQUEUE: JSON.stringify(CRASH_TASKS), WAIT_RUNNING: String(CRASH_TASKS.length) });
      await first.waitFor('RUNNING');
      first.proc.kill('SIGKILL');
      await first.exited;
      const second = startChild({ ...env, WAIT_DONE: '1' });
      await second.waitFor('DONE');
      await stopChild(second);
      const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        await checkCrashOutcome(viaClient(client));
      } finally {
        await client.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  it('on embedded PGlite: the restarted process recovers at boot', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'jarvis-crash-'));
    const env = { DB_KIND: 'pglite', PGLITE_DIR: dir, DB_SCHEMA: 'jarvis' };
    try {
      const first = startChild({ ...env, ENQUEUE: JSON.stringify(CRASH_TASKS), WAIT_RUNNING: String(CRASH_TASKS.length) });
      await first.waitFor('RUNNING');
      first.proc.kill('SIGKILL');
      await first.exited;
      const second = startChild({ ...env, WAIT_DONE: '1' });
      await second.waitFor('DONE');
      await stopChild(second);
      const db = await openPglite({ dataDir: dir, schema: 'jarvis' });
      try {
        await checkCrashOutcome(viaDb(db));
      } finally {
        await db.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('workflow resume after a crash', () => {
  it('never redoes a completed step and passes outputs on after the restart', async () => {
    const schema = uniqueName('wfcrash');
    const env = { DB_KIND: 'postgres', DB_SCHEMA: schema };
    const steps = [
      { key: 'first', taskType: 'echo', payload: { value: { answer: 42 } } },
      { key: 'slow', taskType: 'sleep', payload: { ms: 3_000 }, dependsOn: ['first'] },
      { key: 'last', taskType: 'echo', payload: {}, dependsOn: ['slow', 'first'], inputs: { value: 'first.value.answer' } },
    ];
    try {
      // Killed while the slow step runs (not while the first is still finishing on a loaded machine).
      const first = startChild({ ...env, WORKFLOW: JSON.stringify(steps), WAIT_RUNNING: '1', WAIT_RUNNING_TYPE: 'sleep' });
      await first.waitFor('RUNNING');
      first.proc.kill('SIGKILL');
      await first.exited;
      const second = startChild({ ...env, WAIT_DONE: '1' });
      await second.waitFor('DONE');
      await stopChild(second);
      const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        const { rows: wf } = await client.query<{ status: string; result: unknown }>('SELECT status, result FROM workflows');
        expect(wf).toEqual([{ status: 'completed', result: { last: { value: 42 } } }]);
        const { rows } = await client.query<{ step_key: string; status: string; attempts: number; starts: string }>(
          `SELECT t.step_key, t.status, t.attempts, (SELECT count(*) FROM task_events e WHERE e.job_id = t.id AND e.type = 'task.started') AS starts
           FROM tasks t ORDER BY t.created_at, t.step_key`,
        );
        const byKey = Object.fromEntries(rows.map((r) => [r.step_key, { status: r.status, attempts: r.attempts, starts: Number(r.starts) }]));
        expect(byKey).toEqual({
          first: { status: 'completed', attempts: 1, starts: 1 },
          slow: { status: 'completed', attempts: 2, starts: 2 },
          last: { status: 'completed', attempts: 1, starts: 1 },
        });
      } finally {
        await client.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });
});

describe('two instances on one PostgreSQL', () => {
  it('share the queue and run each of 200 tasks exactly once', async () => {
    const schema = uniqueName('scale');
    const env = { DB_KIND: 'postgres', DB_SCHEMA: schema };
    try {
      const a = startChild(env);
      const b = startChild(env);
      await Promise.all([a.waitFor('READY'), b.waitFor('READY')]);
      const tasks = Array.from({ length: 200 }, (_, n) => ({ taskType: 'record', payload: { n, ms: 30 } }));
      const enqueuer = startChild({ ...env, ENQUEUE: JSON.stringify(tasks), WAIT_DONE: '1', NO_RUN: '1' });
      await enqueuer.waitFor('DONE', 90_000);
      await Promise.all([stopChild(a), stopChild(b), stopChild(enqueuer)]);
      const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        const { rows } = await client.query<{ runs: string; tasks: string; pids: string }>(
          'SELECT count(*) AS runs, count(DISTINCT task_id) AS tasks, count(DISTINCT pid) AS pids FROM probe_runs',
        );
        expect(Number(rows[0]!.runs)).toBe(200);
        expect(Number(rows[0]!.tasks)).toBe(200);
        expect(Number(rows[0]!.pids)).toBeGreaterThanOrEqual(2);
        const { rows: status } = await client.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM tasks GROUP BY status');
        expect(status.map((s) => [s.status, Number(s.n)])).toEqual([['completed', 200]]);
      } finally {
        await client.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });
});
