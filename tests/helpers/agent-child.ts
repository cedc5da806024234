/**
 * A control-plane instance reduced to its agent system, run as a child process by the
 * crash-recovery and scale-out tests (so SIGKILL hits a real process). Configured by env:
 *   DB_KIND=postgres DB_SCHEMA=…  or  DB_KIND=pglite PGLITE_DIR=…
 *   ENQUEUE=<json [{taskType, payload}]>  tasks for the Probe agent, created at start
 *   WAIT_RUNNING=<n>  prints "RUNNING" once n tasks run (on any instance); with
 *   WAIT_RUNNING_TYPE=<taskType>, n tasks of that type
 *   WAIT_DONE=1       prints "DONE" once no task is waiting, queued or running
 *   WORKFLOW=<json [{key, taskType, payload, dependsOn?, inputs?}]>  a Probe workflow, created at start
 *   NO_RUN=1          only enqueues and watches; runs no task itself
 * It prints "READY <workerId>" when its queue runs; SIGTERM stops it gracefully.
 */
import path from 'node:path';
import { migrate, openPglite, openPostgres, type Db } from '../../src/common/db';
import { createLogger } from '../../src/common/logger';
import { AgentSystem } from '../../src/control-plane/agents';
import { FAST_AGENT_CONFIG, fakeModuleRouter } from './agent-system';
import { TEST_DATABASE_URL } from './db';
import { createProbeAgent, ProbeLog } from './probe-agent';

async function main(): Promise<void> {
  const logger = createLogger({ level: 'warn', service: 'agent-child', stream: process.stderr });
  const schema = process.env.DB_SCHEMA ?? 'child';
  const db: Db =
    process.env.DB_KIND === 'pglite'
      ? await openPglite({ dataDir: path.resolve(process.env.PGLITE_DIR!), schema })
      : await openPostgres({ url: TEST_DATABASE_URL, schema, poolSize: 4, statementTimeoutMs: 10_000, logger });
  await migrate(db);
  // Several children start at once: CREATE TABLE IF NOT EXISTS alone races ("type already exists").
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`probe_runs:${schema}`]);
    await tx.exec('CREATE TABLE IF NOT EXISTS probe_runs (task_id text NOT NULL, n integer NOT NULL, pid integer NOT NULL, at timestamptz NOT NULL DEFAULT now())');
  });
  const system = new AgentSystem({
    db,
    moduleRouter: fakeModuleRouter(),
    logger,
    config: { ...FAST_AGENT_CONFIG, maxConcurrentTasks: 8, maxConcurrentPerAgent: 8, localQueueSize: 10 },
    agents: [createProbeAgent(new ProbeLog(), { db })],
  });
  await system.migrate();
  if (process.env.ENQUEUE) {
    const inputs = JSON.parse(process.env.ENQUEUE) as Array<{ taskType: string; payload: Record<string, unknown> }>;
    await system.tasks.enqueueMany('Probe', inputs.map((i) => ({ ...i, priority: 'medium' as const })));
  }
  if (process.env.WORKFLOW) {
    const steps = JSON.parse(process.env.WORKFLOW) as Array<{ key: string; taskType: string; payload: Record<string, unknown>; dependsOn?: string[]; inputs?: Record<string, string> }>;
    await system.workflows.create(
      'child workflow',
      steps.map((s) => ({ agent: 'Probe', priority: 'medium' as const, dependsOn: [], inputs: {}, ...s })),
    );
  }
  if (!process.env.NO_RUN) await system.start();
  process.stdout.write(`READY ${system.workerId}\n`);

  const waitRunning = Number(process.env.WAIT_RUNNING ?? 0);
  const poll = setInterval(async () => {
    const [row] = await db.query<{ running: string; open: string }>(
      `SELECT count(*) FILTER (WHERE status = 'running' AND ($1::text IS NULL OR task_type = $1)) AS running, count(*) FILTER (WHERE status IN ('waiting', 'queued', 'running')) AS open FROM tasks`,
      [process.env.WAIT_RUNNING_TYPE ?? null],
    );
    if (waitRunning && Number(row!.running) >= waitRunning) process.stdout.write('RUNNING\n');
    if (process.env.WAIT_DONE && Number(row!.open) === 0) process.stdout.write('DONE\n');
  }, 50);

  process.on('SIGTERM', () => {
    clearInterval(poll);
    void system
      .stop(500)
      .then(() => db.close())
      .finally(() => process.exit(0));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`agent child failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
