import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startTestPlane, type TestPlane } from '../helpers/control-plane';

describe('terminal firewall over HTTP, audited in the real audit log', () => {
  let dir: string;
  let plane: TestPlane;
  let secondAdmin: string;
  const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'fw-http-'));
    const policyFile = path.join(dir, 'policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        version: 1,
        path: ['/usr/bin', '/bin'],
        defaults: { allowedDirectories: [dir] },
        rules: { df: { description: 'disk', args: ['-h'] }, free: { description: 'memory', args: ['-m'], requireApproval: true } },
      }),
    );
    plane = await startTestPlane({ kind: 'pglite', env: { TERMINAL_FIREWALL_POLICY_FILE: policyFile } });
    secondAdmin = (await plane.apiKeys.create('second-admin', ['admin', 'devops'])).key;
  });
  afterAll(async () => {
    await plane.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const auditOf = async (type: string) => (await plane.audit.query({ type, limit: 50 })).entries;

  test('runs an allowed command for the devops tier and audits it', async () => {
    await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.userKey)).send({ command: 'df', args: ['-h'] }).expect(403);
    const res = await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.adminKey)).send({ command: 'df', args: ['-h'] }).expect(200);
    expect(res.body).toMatchObject({ status: 'finished', rule: 'df', result: { exitCode: 0, timedOut: false, stdout: expect.stringContaining('Filesystem') } });
    const finished = await auditOf('command.finished');
    expect(finished[0]).toMatchObject({ subject: 'df', outcome: 'ok', details: expect.objectContaining({ exitCode: 0, outputSha256: res.body.result.outputSha256 }) });
  });

  test('refuses what the policy does not name, with the reason audited', async () => {
    const res = await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.adminKey)).send({ command: 'rm', args: ['-rf', '/'] }).expect(403);
    expect(res.body.error).toMatchObject({ code: 'COMMAND_DENIED', details: { denial: 'COMMAND_FORBIDDEN' } });
    const injected = await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.adminKey)).send({ command: 'df', args: ['-h', '$(id)'] }).expect(403);
    expect(injected.body.error.details).toMatchObject({ denial: 'BAD_ARGUMENT', rule: 'df', argIndex: 1 });
    const denied = await auditOf('command.denied');
    expect(denied.map((e) => `${e.subject}:${e.outcome}`)).toEqual(expect.arrayContaining(['rm:COMMAND_FORBIDDEN', 'df:BAD_ARGUMENT']));
    expect(denied.find((e) => e.subject === 'rm')!.details).toMatchObject({ reason: 'rm is never allowed' });
  });

  test('bad input is a 400 naming the field', async () => {
    const res = await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.adminKey)).send({ command: 'df', args: '-h' }).expect(400);
    expect(res.body.error.details.issues[0].field).toBe('body.args');
    await request(plane.app).get('/api/v1/approvals/nope').set(auth(plane.adminKey)).expect(400);
  });

  test('approval end to end: 202, the asker cannot approve, another admin can, and the result is recorded', async () => {
    const held = await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.adminKey)).send({ command: 'free', args: ['-m'] }).expect(202);
    const id = held.body.approval.id as string;
    expect(held.headers.location).toBe(`/api/v1/approvals/${id}`);
    const listed = await request(plane.app).get('/api/v1/approvals?status=pending').set(auth(plane.adminKey)).expect(200);
    expect(listed.body.approvals.map((a: { id: string }) => a.id)).toContain(id);
    await request(plane.app).post(`/api/v1/approvals/${id}/approve`).set(auth(plane.adminKey)).send({}).expect(403);
    await request(plane.app).post(`/api/v1/approvals/${id}/approve`).set(auth(plane.userKey)).send({}).expect(403);
    const approved = await request(plane.app).post(`/api/v1/approvals/${id}/approve`).set(auth(secondAdmin)).send({ note: 'ok for the release' }).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', decisionNote: 'ok for the release' });
    let approval = approved.body;
    for (let i = 0; i < 100 && approval.status !== 'finished'; i++) {
      await sleep(50);
      approval = (await request(plane.app).get(`/api/v1/approvals/${id}`).set(auth(plane.adminKey)).expect(200)).body;
    }
    expect(approval).toMatchObject({ status: 'finished', result: { exitCode: 0 } });
    const decided = await auditOf('approval.*');
    expect(decided.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.requested', 'approval.decided']));
    await request(plane.app).post(`/api/v1/approvals/${id}/deny`).set(auth(secondAdmin)).send({}).expect(409);
  });

  test('denied: the command never runs', async () => {
    const held = await request(plane.app).post('/api/v1/devops/exec').set(auth(plane.adminKey)).send({ command: 'free', args: ['-m'] }).expect(202);
    await request(plane.app).post(`/api/v1/approvals/${held.body.approval.id}/deny`).set(auth(secondAdmin)).expect(200);
    await sleep(100);
    const approval = (await request(plane.app).get(`/api/v1/approvals/${held.body.approval.id}`).set(auth(plane.adminKey)).expect(200)).body;
    expect(approval).toMatchObject({ status: 'denied', result: null });
  });

  test('rules, stats and reload', async () => {
    const rules = await request(plane.app).get('/api/v1/firewall/rules').set(auth(plane.adminKey)).expect(200);
    expect(rules.body.rules.map((r: { command: string; requireApproval: boolean }) => `${r.command}:${r.requireApproval}`)).toEqual(['df:false', 'free:true']);
    const stats = await request(plane.app).get('/api/v1/firewall/stats').set(auth(plane.adminKey)).expect(200);
    expect(stats.body.denied).toBeGreaterThanOrEqual(2);
    expect(stats.body.deniedBy).toMatchObject({ COMMAND_FORBIDDEN: 1 });
    await request(plane.app).post('/api/v1/firewall/reload').set(auth(plane.userKey)).expect(403);
    await expect(request(plane.app).post('/api/v1/firewall/reload').set(auth(plane.adminKey)).expect(200)).resolves.toMatchObject({ body: { rules: ['df', 'free'] } });
  });
});

describe('with the firewall disabled', () => {
  let plane: TestPlane;
  beforeAll(async () => {
    plane = await startTestPlane({ kind: 'pglite', env: { TERMINAL_FIREWALL_ENABLED: 'false' } });
  });
  afterAll(() => plane.stop());

  test('no command can run: 503 FEATURE_DISABLED', async () => {
    const res = await request(plane.app).post('/api/v1/devops/exec').set({ Authorization: `Bearer ${plane.adminKey}` }).send({ command: 'df', args: ['-h'] }).expect(503);
    expect(res.body.error.code).toBe('FEATURE_DISABLED');
  });
});
