import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { HttpControlPlaneClient } from '../../src/dawg/control-plane/http-client';
import { createDevopsModule, DeploymentStore } from '../../src/dawg/modules/devops';
import { compileTargets, targetsFileSchema } from '../../src/dawg/modules/devops/deploy/targets';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';
import { waitForTask } from '../helpers/agent-system';
import { listen, SERVICE_TOKEN, startDawg, type Listening, type TestDawg } from '../helpers/servers';

/**
 * Deploys against a real local target: releases in a directory, a `deployctl` program that
 * switches the active release (run by the control plane's firewall, asked by the DAWG), and an
 * HTTP service whose /health serves what the active release says. A broken release fails its
 * health check and the deploy rolls back to the version that ran before.
 */
describe('devops deploy-service through the firewall, with health check and rollback', () => {
  let dir: string;
  let plane: TestPlane;
  let planeHttp: Listening;
  let dawg: TestDawg;
  let target: http.Server;
  let healthUrl: string;
  let approverKey: string;
  let adminKeyId: string;
  let deployments: DeploymentStore;

  const active = () => readFileSync(path.join(dir, 'current'), 'utf8').trim();
  const deploy = (params: Record<string, unknown>, key = plane.adminKey) =>
    request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${key}`).send({ module: 'devops', action: 'deploy-service', params });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-'));
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    for (const [version, broken] of [['1.0.0', false], ['1.1.0', false], ['2.0.0', true], ['3.0.0', false]] as const) {
      mkdirSync(path.join(dir, 'releases', version), { recursive: true });
      writeFileSync(path.join(dir, 'releases', version, 'release.json'), JSON.stringify({ version, broken, unreleased: version === '3.0.0' }));
    }
    // 3.0.0 (not yet the latest) takes seconds to switch: long enough to cancel the deploy while its step runs.
    writeFileSync(path.join(dir, 'releases', '3.0.0', 'slow'), '');
    // Switches the active release; refuses one that does not exist. `latest` prints the newest release.
    writeFileSync(
      path.join(bin, 'deployctl'),
      `#!${process.execPath}
const fs = require('node:fs');
const [cmd, version] = process.argv.slice(2);
if (cmd === 'latest') { process.stdout.write(fs.readdirSync('releases').sort().filter((v) => { const r = JSON.parse(fs.readFileSync('releases/' + v + '/release.json')); return !r.broken && !r.unreleased; }).pop() + '\\n'); process.exit(0); }
if (cmd === 'scale') { fs.writeFileSync('replicas', version); process.stdout.write('replicas ' + version + '\\n'); process.exit(0); }
if (cmd !== 'activate' && cmd !== 'promote') process.exit(64);
if (!fs.existsSync('releases/' + version)) { process.stderr.write('no such release: ' + version + '\\n'); process.exit(3); }
const activate = () => { fs.writeFileSync('current.tmp', version); fs.renameSync('current.tmp', 'current'); process.stdout.write('activated ' + version + '\\n'); };
if (fs.existsSync('releases/' + version + '/slow')) setTimeout(activate, 5000); else activate();
`,
    );
    chmodSync(path.join(bin, 'deployctl'), 0o755);
    writeFileSync(path.join(dir, 'current'), 'none');

    target = http.createServer((_req, res) => {
      const version = readFileSync(path.join(dir, 'current'), 'utf8').trim();
      let release: { broken?: boolean } = { broken: true };
      try {
        release = JSON.parse(readFileSync(path.join(dir, 'releases', version, 'release.json'), 'utf8')) as { broken?: boolean };
      } catch {
        // no release active
      }
      res.writeHead(release.broken ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version, status: release.broken ? 'failing' : 'ok' }));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    healthUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/health`;

    const policyFile = path.join(dir, 'policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        version: 1,
        path: [bin, '/usr/bin', '/bin'],
        defaults: { allowedDirectories: [dir], maxExecutionTimeMs: 10_000 },
        rules: {
          deployctl: {
            description: 'switch the active release of the demo service',
            subcommands: {
              activate: { args: ['[0-9]+\\.[0-9]+\\.[0-9]+'] },
              // The production switch: held for a person by the policy.
              promote: { args: ['[0-9]+\\.[0-9]+\\.[0-9]+'], requireApproval: true },
              latest: { args: [] },
              scale: { args: ['[0-9]{1,3}'] },
            },
          },
        },
      }),
    );

    dawg = await startDawg({ dataDir: dir });
    // Proactive readings every 2 s: they share a DAWG evaluation up to 1 s old.
    // Tasks start once the devops module is registered below: a start reads the DAWG's manifest.
    plane = await startTestPlane({ kind: 'pglite', env: { AI_DAWG_BACKEND_URL: dawg.url, TERMINAL_FIREWALL_POLICY_FILE: policyFile, PROACTIVE_INTERVAL_MS: '2000' } });
    planeHttp = await listen(plane.app);
    const approver = await plane.apiKeys.create('approver', ['admin', 'devops']);
    approverKey = approver.key;
    adminKeyId = /^jrv_([a-f0-9]{16})_/.exec(plane.adminKey)![1]!;

    const step = (version: string) => ({ name: 'activate release', run: { command: 'deployctl', args: ['activate', version], cwd: dir } });
    const targets = compileTargets(
      targetsFileSchema.parse({
        version: 1,
        targets: [
          {
            service: 'demo-api',
            environment: 'staging',
            latestVersion: { command: 'deployctl', args: ['latest'], cwd: dir },
            scale: [{ command: 'deployctl', args: ['scale', '{minReplicas}'], cwd: dir }],
            healthCheck: { url: healthUrl, versionField: 'version', attempts: 2, intervalMs: 20, timeoutMs: 2_000 },
            strategies: { rolling: { steps: [step('{version}')] } },
          },
          {
            service: 'demo-api',
            environment: 'production',
            healthCheck: { url: healthUrl, versionField: 'version', attempts: 2, intervalMs: 20, timeoutMs: 2_000 },
            strategies: { 'blue-green': { steps: [{ name: 'promote release', run: { command: 'deployctl', args: ['promote', '{version}'], cwd: dir } }] } },
          },
        ],
      }),
    );
    deployments = new DeploymentStore(path.join(dir, 'devops'));
    await deployments.init();
    const controlPlane = new HttpControlPlaneClient({ baseUrl: planeHttp.url, serviceToken: SERVICE_TOKEN, timeoutMs: 5_000, commandTimeoutMs: 30_000 });
    dawg.registry.register(createDevopsModule({ controlPlane, targets, deployments, terraformDir: undefined, logDir: undefined, monitoringDir: path.join(dir, 'devops'), approvalPollMs: 20 }));
    await plane.start();
  });

  afterAll(async () => {
    await planeHttp?.close();
    await plane?.stop();
    await dawg?.close();
    await new Promise((resolve) => target?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  test('a first deploy activates the release and ends healthy; the firewall ran the command for the caller', async () => {
    const res = await deploy({ service: 'demo-api', environment: 'staging', version: '1.0.0' });
    expect(res.status).toBe(200);
    const record = res.body.result;
    expect(record).toMatchObject({ status: 'succeeded', success: true, version: '1.0.0', previousVersion: null, strategy: 'rolling', rollback: null });
    expect(record.steps.map((s: { name: string; ok: boolean }) => [s.name, s.ok])).toEqual([['activate release', true], ['final health check', true]]);
    expect(record.steps[0]).toMatchObject({ exitCode: 0, command: { command: 'deployctl', args: ['activate', '1.0.0'] } });
    expect(record.steps[1].health.attempts.at(-1)).toMatchObject({ status: 200, reportedVersion: '1.0.0' });
    expect(active()).toBe('1.0.0');

    const audit = await plane.audit.query({ type: 'command.*', limit: 10 });
    const finished = audit.entries.find((e) => e.type === 'command.finished');
    expect(finished).toMatchObject({ actor: adminKeyId, subject: 'deployctl', outcome: 'ok', details: { args: ['activate', '1.0.0'], via: 'ai-dawg' } });
  });

  test('a deploy without a version takes the latest healthy release the target reports', async () => {
    const res = await deploy({ service: 'demo-api', environment: 'staging' });
    expect(res.body.result).toMatchObject({ status: 'succeeded', version: '1.1.0', previousVersion: '1.0.0' });
    expect(active()).toBe('1.1.0');
  });

  test('a release that fails its health check is rolled back to the version that ran before', async () => {
    const res = await deploy({ service: 'demo-api', environment: 'staging', version: '2.0.0' });
    expect(res.status).toBe(200);
    const record = res.body.result;
    expect(record).toMatchObject({ status: 'rolled-back', success: false, version: '2.0.0', previousVersion: '1.1.0' });
    expect(record.reason).toMatch(/final health check: .* answered HTTP 500/);
    expect(record.steps.map((s: { name: string; ok: boolean }) => [s.name, s.ok])).toEqual([['activate release', true], ['final health check', false]]);
    expect(record.rollback.steps.map((s: { name: string; ok: boolean }) => [s.name, s.ok])).toEqual([['activate release', true], ['health check after rollback', true]]);
    expect(record.rollback.steps[0].command.args).toEqual(['activate', '1.1.0']);
    expect(record.rollback.steps[1].health.attempts.at(-1)).toMatchObject({ status: 200, reportedVersion: '1.1.0' });
    expect(active()).toBe('1.1.0');
  });

  test('a release the target does not have fails its step (exit code and output kept) and rolls back', async () => {
    const res = await deploy({ service: 'demo-api', environment: 'staging', version: '9.9.9' });
    const record = res.body.result;
    expect(record).toMatchObject({ status: 'rolled-back', previousVersion: '1.1.0' });
    expect(record.steps).toHaveLength(1);
    expect(record.steps[0]).toMatchObject({ ok: false, exitCode: 3, outputTail: 'no such release: 9.9.9' });
    expect(active()).toBe('1.1.0');
  });

  test('a deploy cancelled mid-step stops the step and still puts the previous version back', async () => {
    const abort = new AbortController();
    const call = plane.moduleRouter.execute({ module: 'devops', action: 'deploy-service', params: { service: 'demo-api', environment: 'staging', version: '3.0.0' } }, { actor: adminKeyId, signal: abort.signal });
    const outcome = call.catch((err: unknown) => err);
    // Wait until the firewall is running the slow switch, then walk away.
    for (let i = 0; i < 200 && !(plane.firewall!.stats().runningTotal > 0); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(plane.firewall!.stats().runningTotal).toBe(1);
    abort.abort();
    expect(await outcome).toMatchObject({ code: 'CLIENT_CLOSED_REQUEST' });
    let record: { version: string; status: string; reason?: string; steps: Array<{ ok: boolean; error?: unknown; command?: unknown }>; rollback: { steps: Array<{ ok: boolean; command?: { args: string[] } }> } } | undefined;
    for (let i = 0; i < 300; i++) {
      record = (await deployments.list({ service: 'demo-api', environment: 'staging', limit: 1 }))[0] as typeof record;
      if (record?.version === '3.0.0' && record.status !== 'running') break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(record).toMatchObject({ version: '3.0.0', status: 'rolled-back', reason: expect.stringContaining('cancelled during the deploy') });
    expect(record!.steps[0]).toMatchObject({ ok: false, error: { code: 'CANCELLED' }, command: { args: ['activate', '3.0.0'] } });
    expect(record!.rollback.steps.map((s) => s.ok)).toEqual([true, true]);
    expect(record!.rollback.steps[0]!.command!.args).toEqual(['activate', '1.1.0']);
    // The killed switch never landed.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(active()).toBe('1.1.0');
  });

  test('scale-service runs the target\'s scale command and checks health; a target without one answers 501', async () => {
    const scale = (environment: string) =>
      request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'scale-service', params: { service: 'demo-api', environment, minReplicas: 3, maxReplicas: 8 } });
    const res = await scale('staging');
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ status: 'scaled', steps: [{ command: 'deployctl', args: ['scale', '3'], status: 'ok', exitCode: 0 }], health: { healthy: true } });
    expect(readFileSync(path.join(dir, 'replicas'), 'utf8')).toBe('3');
    const none = await scale('production');
    expect(none.status).toBe(501);
    expect(none.body.error.code).toBe('SCALE_NOT_DECLARED');
  });

  test('history lists each deploy, newest first, and the version the target runs', async () => {
    const res = await request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'deployments', params: { service: 'demo-api' } });
    expect(res.body.result.targets).toEqual([
      { service: 'demo-api', environment: 'staging', strategies: ['rolling'], currentVersion: '1.1.0' },
      { service: 'demo-api', environment: 'production', strategies: ['blue-green'], currentVersion: null },
    ]);
    expect(res.body.result.deployments.map((d: { version: string; status: string }) => `${d.version}:${d.status}`)).toEqual(['3.0.0:rolled-back', '9.9.9:rolled-back', '2.0.0:rolled-back', '1.1.0:succeeded', '1.0.0:succeeded']);
  });

  /** Waits for the deploy's held step to appear, then decides it with another admin key. */
  async function decideHeldStep(verb: 'approve' | 'deny', key: string): Promise<{ id: string; status: number; body: unknown }> {
    for (let i = 0; i < 200; i++) {
      const [pending] = await plane.firewall!.listApprovals({ status: 'pending', limit: 5 });
      if (pending) {
        const res = await request(plane.app).post(`/api/v1/approvals/${pending.id}/${verb}`).set('authorization', `Bearer ${key}`).send({ note: `${verb} in test` });
        return { id: pending.id, status: res.status, body: res.body };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('no approval appeared');
  }

  test('a step the policy holds waits for a person: the requesting key cannot approve it, another admin can, and the deploy goes on', async () => {
    const pending = deploy({ service: 'demo-api', environment: 'production', version: '1.0.0', strategy: 'blue-green' });
    const done = pending.then((r) => r);
    const self = await decideHeldStep('approve', plane.adminKey);
    expect(self.status).toBe(403);
    const other = await decideHeldStep('approve', approverKey);
    expect(other.status).toBe(200);
    const res = await done;
    expect(res.body.result).toMatchObject({ status: 'succeeded', version: '1.0.0', environment: 'production' });
    expect(res.body.result.steps[0]).toMatchObject({ name: 'promote release', ok: true, exitCode: 0, approvalId: other.id });
    expect(active()).toBe('1.0.0');
  });

  test('a denied step fails the deploy and the rollback restores the previous version (itself approved)', async () => {
    const done = deploy({ service: 'demo-api', environment: 'production', version: '1.1.0', strategy: 'blue-green' }).then((r) => r);
    const denied = await decideHeldStep('deny', approverKey);
    expect(denied.status).toBe(200);
    // The rollback's own promote of 1.0.0 is held too.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const rollback = await decideHeldStep('approve', approverKey);
    expect(rollback.status).toBe(200);
    const res = await done;
    expect(res.body.result).toMatchObject({ status: 'rolled-back', previousVersion: '1.0.0' });
    expect(res.body.result.steps[0]).toMatchObject({ ok: false, error: { code: 'APPROVAL_DENIED' } });
    expect(res.body.result.rollback.steps[0]).toMatchObject({ ok: true, command: { args: ['promote', '1.0.0'] } });
    expect(active()).toBe('1.0.0');
    // Leave the staging tests' expectation: staging runs 1.1.0 again.
    const back = await deploy({ service: 'demo-api', environment: 'staging', version: '1.1.0' });
    expect(back.body.result.status).toBe('succeeded');
  });

  test('DevOpsEngineer deploy-service: a devops key queues it, the deploy runs as that key, a rollback fails the task with its record', async () => {
    const queue = (key: string, version: string) =>
      request(plane.app).post('/api/v1/agents/DevOpsEngineer/tasks').set('authorization', `Bearer ${key}`).send({ taskType: 'deploy-service', payload: { service: 'demo-api', environment: 'staging', version } });
    expect((await queue(plane.userKey, '1.0.0')).status).toBe(403);

    const ok = await queue(plane.adminKey, '1.0.0');
    expect(ok.status).toBe(202);
    const done = await waitForTask(plane.agents!, ok.body.taskId, undefined, 20_000);
    expect(done).toMatchObject({ status: 'completed', result: { deployment: { status: 'succeeded', version: '1.0.0', requestedBy: adminKeyId } } });
    expect(active()).toBe('1.0.0');

    const broken = await queue(plane.adminKey, '2.0.0');
    const failed = await waitForTask(plane.agents!, broken.body.taskId, undefined, 20_000);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'DEPLOY_ROLLED_BACK', details: { deployment: { status: 'rolled-back', previousVersion: '1.0.0' } } } });
    expect(active()).toBe('1.0.0');
    const back = await deploy({ service: 'demo-api', environment: 'staging', version: '1.1.0' });
    expect(back.body.result.status).toBe('succeeded');
  });

  test('bad requests are refused before anything runs, naming the field', async () => {
    const before = (await plane.audit.query({ type: 'command.*', limit: 500 })).entries.length;
    const unknown = await deploy({ service: 'billing', environment: 'staging', version: '1.0.0' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'DEPLOY_TARGET_NOT_FOUND', details: { declared: ['demo-api/staging', 'demo-api/production'] } });
    const strategy = await deploy({ service: 'demo-api', environment: 'staging', version: '1.0.0', strategy: 'canary' });
    expect(strategy.status).toBe(400);
    expect(JSON.stringify(strategy.body.error.details)).toContain('params.strategy');
    const ssrf = await deploy({ service: 'demo-api', environment: 'staging', version: '1.0.0', healthCheckUrl: 'http://169.254.169.254/latest/meta-data' });
    expect(ssrf.status).toBe(400);
    expect(JSON.stringify(ssrf.body.error.details)).toContain('params.healthCheckUrl');
    const version = await deploy({ service: 'demo-api', environment: 'staging', version: '1.0.0; rm -rf /' });
    expect(version.status).toBe(400);
    expect(JSON.stringify(version.body.error.details)).toContain('params.version');
    expect((await plane.audit.query({ type: 'command.*', limit: 500 })).entries.length).toBe(before);
    expect(active()).toBe('1.1.0');
  });

  test('a key without the devops scope cannot run devops actions', async () => {
    const res = await deploy({ service: 'demo-api', environment: 'staging', version: '1.0.0' }, plane.userKey);
    expect(res.status).toBe(403);
    expect(active()).toBe('1.1.0');
  });

  test('query-logs finds the deploy commands in the audit log, read back from the control plane', async () => {
    const res = await request(plane.app)
      .post('/api/v1/execute')
      .set('authorization', `Bearer ${plane.adminKey}`)
      .send({ module: 'devops', action: 'query-logs', params: { query: 'activate.*2\\.0\\.0', services: ['audit'], severity: ['info'] } });
    expect(res.status).toBe(200);
    const { matches, sources } = res.body.result;
    expect(sources.audit).toMatchObject({ status: 'ok' });
    expect(matches.length).toBeGreaterThanOrEqual(2);
    for (const m of matches) expect(m).toMatchObject({ service: 'audit', severity: 'info', source: { kind: 'audit' } });
    expect(matches.map((m: { message: string }) => m.message).join('\n')).toMatch(/command\.finished/);
  });

  test('configure-monitoring evaluates an availability SLO and an alert against the control plane\'s own metrics', async () => {
    const monitoring = (params: Record<string, unknown>) =>
      request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'configure-monitoring', params });
    const requests = { metric: 'jarvis_http_requests_total', matchers: [{ label: 'route', op: '!=', value: '/internal/v1/metrics' }] };
    const created = await monitoring({ operation: 'create-slo', name: 'api-availability', objective: 99, window: '1h', sli: { good: { ...requests, matchers: [...requests.matchers, { label: 'status', op: '!~', value: '5..' }] }, total: requests } });
    expect(created.status).toBe(200);
    expect(created.body.result).toMatchObject({ operation: 'create-slo', slo: { name: 'api-availability', objective: 99 } });
    expect((await monitoring({ operation: 'create-alert', name: 'many-404s', expr: { aggregate: 'sum', metric: 'jarvis_http_requests_total', labels: { status: '404' } }, op: '>', threshold: 2, severity: 'warning' })).status).toBe(200);

    // The first evaluation sets the SLO's baseline; then some traffic: three 404s and successes.
    expect((await monitoring({ operation: 'evaluate' })).status).toBe(200);
    for (let i = 0; i < 3; i++) await request(plane.app).get(`/no-such-page-${i}`);
    for (let i = 0; i < 3; i++) await request(plane.app).get('/health');
    const res = await monitoring({ operation: 'evaluate' });
    expect(res.status).toBe(200);
    const alert = res.body.result.alerts.find((a: { name: string }) => a.name === 'many-404s');
    expect(alert).toMatchObject({ state: 'firing' });
    expect(alert.value).toBeGreaterThanOrEqual(3);
    const slo = res.body.result.slos.find((x: { name: string }) => x.name === 'api-availability');
    // No 5xx since the baseline: every request counted is good.
    expect(slo).toMatchObject({ status: 'ok', sli: 1, errorBudgetRemaining: 1 });
    expect(slo.total).toBeGreaterThanOrEqual(6);

    // The same text is served to Prometheus at /metrics, to admin keys only.
    const scrape = await request(plane.app).get('/metrics').set('authorization', `Bearer ${plane.adminKey}`);
    expect(scrape.status).toBe(200);
    expect(scrape.text).toMatch(/jarvis_http_requests_total\{method="GET",route="unmatched",status="404"\} [3-9]/);
    expect((await request(plane.app).get('/metrics').set('authorization', `Bearer ${plane.userKey}`)).status).toBe(403);
  });

  test('the proactive system evaluates the rules at each reading: a firing alert and a breached SLO become suggestions for admins', async () => {
    const monitoring = (params: Record<string, unknown>) =>
      request(plane.app).post('/api/v1/execute').set('authorization', `Bearer ${plane.adminKey}`).send({ module: 'devops', action: 'configure-monitoring', params });
    const requests = { metric: 'jarvis_http_requests_total', matchers: [{ label: 'route', op: '!=', value: '/internal/v1/metrics' }] };
    // Nothing but 2xx is good here: the 404s below breach it.
    const good = { ...requests, matchers: [...requests.matchers, { label: 'status', op: '=~', value: '2..' }] };
    expect((await monitoring({ operation: 'create-slo', name: 'strict-2xx', objective: 99.9, window: '1h', sli: { good, total: requests } })).status).toBe(200);
    expect((await monitoring({ operation: 'create-alert', name: 'any-404', expr: { aggregate: 'sum', metric: 'jarvis_http_requests_total', labels: { status: '404' } }, op: '>', threshold: 0, severity: 'critical' })).status).toBe(200);
    try {
      // The first reading sets the SLO's baseline; then 404s, and a reading once that evaluation is too old to share.
      await plane.proactive!.evaluate();
      for (let i = 0; i < 3; i++) await request(plane.app).get(`/missing-${i}`);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await plane.proactive!.evaluate();
      const listed = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
      const byId = Object.fromEntries(listed.body.suggestions.map((x: { id: string }) => [x.id, x]));
      expect(byId['monitoring:any-404']).toMatchObject({ kind: 'monitoring', severity: 'critical', title: 'Alert any-404 is firing', signal: { rule: 'any-404', type: 'alert', state: 'firing', threshold: 0 } });
      expect(byId['monitoring:any-404'].signal.value).toBeGreaterThanOrEqual(3);
      expect(byId['monitoring:strict-2xx']).toMatchObject({ kind: 'monitoring', severity: 'critical', signal: { rule: 'strict-2xx', type: 'slo', status: 'breaching', objective: 99.9 } });
      expect(byId['monitoring:strict-2xx'].signal.total - byId['monitoring:strict-2xx'].signal.good).toBeGreaterThanOrEqual(3);
      // Rules are the devops team's: a key without the admin scope does not see them.
      const mine = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.userKey}`).expect(200);
      expect(mine.body.suggestions.filter((x: { kind: string }) => x.kind === 'monitoring')).toEqual([]);
    } finally {
      await monitoring({ operation: 'delete', name: 'strict-2xx' });
      await monitoring({ operation: 'delete', name: 'any-404' });
    }
    // Rules deleted: the next reading resolves their suggestions.
    await plane.proactive!.evaluate();
    const after = await request(plane.app).get('/api/v1/suggestions').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    expect(after.body.suggestions.filter((x: { id: string }) => ['monitoring:any-404', 'monitoring:strict-2xx'].includes(x.id))).toEqual([]);
  });

  test('the internal routes take only the service token', async () => {
    const none = await request(planeHttp.url).post('/internal/v1/commands').send({ command: 'deployctl', args: ['latest'], actor: 'x' });
    expect(none.status).toBe(401);
    const apiKey = await request(planeHttp.url).post('/internal/v1/commands').set('authorization', `Bearer ${approverKey}`).send({ command: 'deployctl', args: ['latest'], actor: 'x' });
    expect(apiKey.status).toBe(401);
    await plane.audit.flush();
    const failures = await plane.audit.query({ type: 'auth.failure', limit: 10 });
    expect(failures.entries.some((e) => e.outcome === 'invalid-service-token')).toBe(true);
  });
});
