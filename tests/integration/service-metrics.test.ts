import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { createProbeAgent, ProbeLog } from '../helpers/probe-agent';
import { waitForTask } from '../helpers/agent-system';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { FAKE_USAGE, startFakeProvider, type FakeProvider } from '../helpers/fake-providers';
import { insertExpiringApproval } from '../helpers/approvals';
import { samples } from '../helpers/prom-samples';

/**
 * The services' own Prometheus metrics on GET /metrics: AI router attempts (outcome, latency,
 * cost, tokens) from real calls to a fake OpenAI server, agent task events and run times from
 * real tasks, and the circuit and connection gauges read at the scrape.
 */

jest.setTimeout(60_000);


describe('service metrics on /metrics', () => {
  let openai: FakeProvider;
  let plane: TestPlane;
  let hook: http.Server;
  const scrape = async () => (await request(plane.app).get('/metrics').set('authorization', `Bearer ${plane.adminKey}`).expect(200)).text;
  const chat = () => request(plane.app).post('/api/v1/ai/chat').set('authorization', `Bearer ${plane.adminKey}`).send({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

  beforeAll(async () => {
    openai = await startFakeProvider('openai');
    // A webhook that takes everything: the proactive channels' metrics get series.
    hook = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('ok')));
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    plane = await startTestPlane({
      kind: 'pglite',
      runTasks: true,
      agents: [createProbeAgent(new ProbeLog())],
      env: {
        OPENAI_API_KEY: 'sk-test-openai-0123456789abcdef', OPENAI_BASE_URL: openai.url, AGENT_QUEUE_POLL_MS: '100', AI_ROUTER_MAX_RETRIES: '0', AI_DAWG_BACKEND_URL: 'http://127.0.0.1:9',
        PROACTIVE_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
      },
    });
  });
  afterAll(async () => {
    await plane?.stop();
    await openai?.close();
    await new Promise((resolve) => hook?.close(resolve));
  });

  it('counts AI attempts by outcome, with latency, cost and tokens of the successful ones', async () => {
    expect((await chat()).status).toBe(200);
    openai.setBehaviour({ type: 'error', status: 500 });
    expect((await chat()).status).toBe(503);
    openai.setBehaviour({ type: 'ok' });
    const text = await scrape();
    const model = 'provider="openai",model="gpt-4o-mini"';
    expect(samples(text, 'jarvis_ai_attempts_total')).toEqual(new Map([[`{${model},outcome="ok"}`, 1], [`{${model},outcome="server"}`, 1]]));
    expect(samples(text, 'jarvis_ai_attempt_duration_seconds_count').get(`{${model}}`)).toBe(2);
    expect(samples(text, 'jarvis_ai_tokens_total')).toEqual(new Map([[`{${model},direction="input"}`, FAKE_USAGE.input], [`{${model},direction="output"}`, FAKE_USAGE.output]]));
    const cost = samples(text, 'jarvis_ai_cost_usd_total').get(`{${model}}`)!;
    // The ledger booked the same cost.
    const [booked] = await plane.testDb.db.query<{ cost: string }>(`SELECT sum(cost_usd)::text AS cost FROM ai_ledger WHERE outcome = 'ok'`);
    expect(cost).toBeCloseTo(Number(booked!.cost), 9);
    expect(cost).toBeGreaterThan(0);
    expect(samples(text, 'jarvis_ai_provider_circuit_state')).toEqual(new Map([['{provider="openai",state="closed"}', 1], ['{provider="openai",state="half-open"}', 0], ['{provider="openai",state="open"}', 0]]));
  });

  it('counts task events and times runs by outcome', async () => {
    const queue = async (taskType: string, payload: Record<string, unknown> = {}) =>
      (await request(plane.app).post('/api/v1/agents/Probe/tasks').set('authorization', `Bearer ${plane.adminKey}`).send({ taskType, payload }).expect(202)).body.taskId as string;
    await waitForTask(plane.agents!, await queue('noop'), 'completed');
    await waitForTask(plane.agents!, await queue('fail'), 'failed');
    const text = await scrape();
    const events = samples(text, 'jarvis_task_events_total');
    expect(events.get('{event="task.created",agent="Probe",task_type="noop"}')).toBe(1);
    expect(events.get('{event="task.started",agent="Probe",task_type="noop"}')).toBe(1);
    expect(events.get('{event="task.completed",agent="Probe",task_type="noop"}')).toBe(1);
    expect(events.get('{event="task.failed",agent="Probe",task_type="fail"}')).toBe(1);
    const runs = samples(text, 'jarvis_task_run_duration_seconds_count');
    expect(runs.get('{agent="Probe",task_type="noop",outcome="completed"}')).toBe(1);
    expect(runs.get('{agent="Probe",task_type="fail",outcome="failed"}')).toBe(1);
  });

  it('the shipped Grafana dashboard asks only for metrics and labels the control plane exposes', async () => {
    const dashboard = JSON.parse(readFileSync(path.join(__dirname, '../../config/grafana/jarvis-dashboard.json'), 'utf8')) as {
      panels: Array<{ id: number; gridPos: { x: number; y: number; w: number; h: number }; targets: Array<{ refId: string; expr: string }> }>;
      templating: { list: Array<{ name: string }> };
    };
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(new Set(dashboard.panels.map((p) => `${p.gridPos.x},${p.gridPos.y}`)).size).toBe(dashboard.panels.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job']);
    // A call, a task and a command the firewall refuses, so each counter has a series.
    expect((await chat()).status).toBe(200);
    await waitForTask(plane.agents!, (await request(plane.app).post('/api/v1/agents/Probe/tasks').set('authorization', `Bearer ${plane.adminKey}`).send({ taskType: 'noop' }).expect(202)).body.taskId as string, 'completed');
    await request(plane.app).post('/api/v1/devops/exec').set('authorization', `Bearer ${plane.adminKey}`).send({ command: 'rm', args: ['-rf', '/'] }).expect(403);
    // A suggestion sent to the webhook.
    await insertExpiringApproval(plane.testDb.db);
    await plane.proactive!.evaluate();
    await plane.proactive!.webhook!.idle();
    // What this plane exposes after the tests above (series with their labels), and the Node.js
    // process metrics, which test planes leave out: read from prom-client in a separate process.
    const text = await scrape();
    const labelsOf = new Map<string, Set<string>>();
    for (const line of text.split('\n')) {
      const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? /.exec(line);
      if (!m) continue;
      const names = labelsOf.get(m[1]!) ?? new Set<string>();
      for (const [, label] of (m[2] ?? '').matchAll(/([a-z_]+)="/g)) names.add(label!);
      labelsOf.set(m[1]!, names);
    }
    const processMetrics = JSON.parse(
      execFileSync(process.execPath, ['-e', "const p=require('prom-client');const r=new p.Registry();p.collectDefaultMetrics({register:r,prefix:'jarvis_'});r.getMetricsAsJSON().then((m)=>{console.log(JSON.stringify(m.map((x)=>x.name)));process.exit(0)})"], { encoding: 'utf8' }),
    ) as string[];
    for (const name of processMetrics) labelsOf.set(name, labelsOf.get(name) ?? new Set());
    const problems: string[] = [];
    for (const { targets } of dashboard.panels) {
      for (const { expr } of targets) {
        const grouped = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
        for (const [, metric, matchers] of expr.matchAll(/\b(jarvis_[a-z0-9_]+)(?:\{([^}]*)\})?/g)) {
          const labels = labelsOf.get(metric!) ?? (processMetrics.includes(metric!) ? new Set<string>() : undefined);
          if (!labels) {
            problems.push(`${metric} is not exposed`);
            continue;
          }
          const asked = [...(matchers ?? '').matchAll(/([a-z_]+)\s*[=!~]+/g)].map((m) => m[1]!);
          // job and instance are Prometheus's own; le is every histogram bucket's.
          for (const label of [...asked, ...grouped]) if (!['job', 'instance', 'le'].includes(label) && !labels.has(label) && !processMetrics.includes(metric!)) problems.push(`${metric} has no label ${label}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('reads the AI DAWG circuit and the WebSocket connections at each scrape', async () => {
    const text = await scrape();
    expect(samples(text, 'jarvis_dawg_circuit_state')).toEqual(new Map([['{state="closed"}', 1], ['{state="half-open"}', 0], ['{state="open"}', 0]]));
    expect(samples(text, 'jarvis_websocket_connections')).toEqual(new Map([['', 0]]));
    // The DAWG is down (port 9): failed calls open its circuit, and the next scrape says so.
    for (let i = 0; i < 10 && plane.moduleRouter.breakerState !== 'open'; i++) {
      await request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'testing', action: 'health-check', params: {} });
    }
    expect(samples(await scrape(), 'jarvis_dawg_circuit_state').get('{state="open"}')).toBe(1);
  });
});
