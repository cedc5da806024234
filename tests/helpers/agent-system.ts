import type { DbKind } from '../../src/common/db';
import type { ExecuteRequest, ExecuteResponse, ModuleManifest } from '../../src/common/protocol';
import { AgentSystem, createDefaultAgents, type BaseAgent, type TaskStatus } from '../../src/control-plane/agents';
import type { AgentSystemConfig } from '../../src/control-plane/config';
import type { AgentSystemDeps } from '../../src/control-plane/agents/agent-system';
import type { CallOptions, ModulesView } from '../../src/control-plane/dawg-client';
import { openTestDb, type TestDb } from './db';
import { silentLogger } from './logger';
import { createProbeAgent, ProbeLog } from './probe-agent';

export const FAST_AGENT_CONFIG: AgentSystemConfig = {
  maxConcurrentTasks: 4,
  maxConcurrentPerAgent: 4,
  maxAttempts: 3,
  retryBaseMs: 50,
  retryMaxMs: 400,
  heartbeatMs: 200,
  // An instance stops its own tasks ("lease lost") after half of this without a heartbeat
  // written: 1 s let a loaded machine's stall of 0.5 s requeue a running task mid-test.
  workerStaleMs: 3_000,
  scheduleTickMs: 100,
  localQueueSize: 50,
  pollIntervalMs: 200,
};

/** A DAWG stand-in with a fixed manifest; `execute` answers from `handlers` or fails like a DAWG 404. */
export function fakeModuleRouter(handlers: Record<string, (params: Record<string, unknown>, options: CallOptions) => Promise<unknown>> = {}) {
  const calls: ExecuteRequest[] = [];
  const modules: ModuleManifest[] = [];
  for (const key of Object.keys(handlers)) {
    const [name, action] = key.split('.') as [string, string];
    let m = modules.find((x) => x.name === name);
    if (!m) modules.push((m = { name, description: name, version: '1.0.0', actions: [] }));
    m.actions.push({ name: action, description: action, paramsSchema: {} });
  }
  return {
    calls,
    async modules(): Promise<ModulesView> {
      return { reachable: true, modules };
    },
    async execute(request: ExecuteRequest, options: CallOptions = {}): Promise<ExecuteResponse> {
      calls.push(request);
      const handler = handlers[`${request.module}.${request.action}`];
      if (!handler) throw new Error(`fake DAWG has no ${request.module}.${request.action}`);
      return { module: request.module, action: request.action, result: await handler(request.params, options), durationMs: 0 };
    },
  };
}

export interface TestAgentSystem {
  system: AgentSystem;
  log: ProbeLog;
  testDb: TestDb;
  close(): Promise<void>;
}

export async function openAgentSystem(
  kind: DbKind,
  options: { config?: Partial<AgentSystemConfig>; router?: ReturnType<typeof fakeModuleRouter>; agents?: BaseAgent[]; start?: boolean; testDb?: TestDb; workflowSummaries?: AgentSystemDeps['workflowSummaries'] } = {},
): Promise<TestAgentSystem> {
  const testDb = options.testDb ?? (await openTestDb(kind));
  const log = new ProbeLog();
  const system = new AgentSystem({
    db: testDb.db,
    moduleRouter: options.router ?? fakeModuleRouter(),
    logger: silentLogger(),
    config: { ...FAST_AGENT_CONFIG, ...options.config },
    agents: options.agents ?? [createProbeAgent(log, { db: testDb.db }), ...createDefaultAgents()],
    ...(options.workflowSummaries ? { workflowSummaries: options.workflowSummaries } : {}),
  });
  await system.migrate();
  if (options.start ?? true) await system.start();
  return {
    system,
    log,
    testDb,
    async close() {
      await system.stop(100);
      if (!options.testDb) await testDb.drop();
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const TERMINAL = new Set<TaskStatus>(['completed', 'failed', 'cancelled']);

/** Waits until the task has ended (or reached `status`) and returns it. */
export async function waitForTask(system: AgentSystem, taskId: string, status?: TaskStatus, timeoutMs = 10_000) {
  return waitFor(
    async () => {
      const job = await system.tasks.job(taskId);
      if (job.kind !== 'task') return undefined;
      return (status ? job.status === status : TERMINAL.has(job.status)) ? job : undefined;
    },
    timeoutMs,
    `task ${taskId} to be ${status ?? 'done'}`,
  );
}
