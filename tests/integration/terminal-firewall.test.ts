import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { executeCommand, TerminalFirewall, type FirewallAuditSink } from '../../src/control-plane/firewall';
import { lockKey } from '../../src/control-plane/firewall/shared-slots';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

type Entry = Parameters<FirewallAuditSink['append']>[0];

/** Records audit entries in order, as the real audit log would receive them. */
class RecordingAudit implements FirewallAuditSink {
  readonly entries: Entry[] = [];
  async append(entry: Entry): Promise<void> {
    this.entries.push(entry);
  }
  types(): string[] {
    return this.entries.map((e) => `${e.type}:${e.outcome}`);
  }
}

/** Running (a zombie waiting for a reaper counts as dead: it has exited). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

describe.each(DB_KINDS)('terminal firewall on %s', (kind) => {
  let t: TestDb;
  let dir: string;
  let bin: string;
  let policyFile: string;
  let audit: RecordingAudit;
  let firewall: TerminalFirewall;

  const writePolicy = (rules: Record<string, unknown>) =>
    writeFileSync(policyFile, JSON.stringify({ version: 1, path: [bin, path.dirname(process.execPath), '/usr/bin', '/bin'], defaults: { allowedDirectories: [dir], maxExecutionTimeMs: 5_000 }, rules }));

  beforeAll(async () => {
    t = await openTestDb(kind);
    dir = mkdtempSync(path.join(os.tmpdir(), 'fw-'));
    bin = path.join(dir, 'bin');
    require('node:fs').mkdirSync(bin);
    // A program that starts a grandchild and then hangs: the timeout must kill both.
    writeFileSync(
      path.join(bin, 'tree-sleeper'),
      `#!${process.execPath}\nconst { spawn } = require('node:child_process');\nconst child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });\nrequire('node:fs').writeFileSync(process.argv[2], String(child.pid));\nprocess.stdout.write('started\\n');\nsetInterval(() => {}, 1000);\n`,
    );
    // Writes N bytes, to test the output cap.
    writeFileSync(path.join(bin, 'chatty'), `#!${process.execPath}\nprocess.stdout.write('x'.repeat(Number(process.argv[2])));\nprocess.stderr.write('env:' + Object.keys(process.env).sort().join(','));\n`);
    chmodSync(path.join(bin, 'tree-sleeper'), 0o755);
    require('node:fs').copyFileSync(path.join(bin, 'tree-sleeper'), path.join(bin, 'long-sleeper'));
    chmodSync(path.join(bin, 'long-sleeper'), 0o755);
    chmodSync(path.join(bin, 'chatty'), 0o755);
    policyFile = path.join(dir, 'policy.json');
    writePolicy({
      'tree-sleeper': { description: 'test', args: ['/[A-Za-z0-9/._-]+'], maxExecutionTimeMs: 500 },
      'long-sleeper': { description: 'test', args: ['/[A-Za-z0-9/._-]+'], maxExecutionTimeMs: 60_000 },
      chatty: { description: 'test', args: ['[0-9]{1,7}'], maxOutputBytes: 4_096, allowedEnv: ['TF_LOG'] },
      df: { description: 'disk', args: ['-h'] },
      free: { description: 'memory', args: ['-m'], requireApproval: true },
    });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    audit = new RecordingAudit();
    firewall = new TerminalFirewall({ db: t.db, audit, logger: silentLogger(), policyFile, baseDir: dir, overrides: { kubectl: true, terraform: true }, approvalTtlMs: 60_000 });
  });
  afterEach(async () => {
    await firewall.close();
  });

  it('finds the newest approval of a command in a directory with a given argument, whatever its status', async () => {
    const first = (await firewall.exec({ command: 'free', args: ['-m'] }, 'key_asker')) as { approval: { id: string; cwd: string } };
    const second = (await firewall.exec({ command: 'free', args: ['-m'] }, 'key_asker')) as { approval: { id: string; cwd: string } };
    await firewall.decide(first.approval.id, 'deny', 'key_admin', 'not now');
    const { cwd } = second.approval;
    expect(await firewall.approvals.latest({ command: 'free', cwd, arg: '-m' })).toMatchObject({ id: second.approval.id, status: 'pending' });
    expect(await firewall.approvals.latest({ command: 'free', cwd, arg: '-h' })).toBeUndefined();
    expect(await firewall.approvals.latest({ command: 'free', cwd: '/elsewhere', arg: '-m' })).toBeUndefined();
    expect(await firewall.approvals.latest({ command: 'df', cwd, arg: '-m' })).toBeUndefined();
    // Nothing left pending for the tests after this one.
    await firewall.decide(second.approval.id, 'deny', 'key_admin', 'done');
  });

  test('a caller gone while the command was being audited: it never starts', async () => {
    const controller = new AbortController();
    const reason = new Error('caller went away');
    // The caller leaves during the "allowed" audit write, before the command is spawned.
    const leaving = new (class extends RecordingAudit {
      override async append(entry: Entry): Promise<void> {
        await super.append(entry);
        if (entry.type === 'command.allowed') controller.abort(reason);
      }
    })();
    const gate = new TerminalFirewall({ db: t.db, audit: leaving, logger: silentLogger(), policyFile, baseDir: dir, overrides: { kubectl: true, terraform: true }, approvalTtlMs: 60_000 });
    const pidFile = path.join(dir, 'never-started.pid');
    await expect(gate.exec({ command: 'long-sleeper', args: [pidFile] }, 'key_a', controller.signal)).rejects.toBe(reason);
    await sleep(300);
    expect(existsSync(pidFile)).toBe(false);
    await gate.close();
  });

  test('the executor spawns nothing for a signal aborted while it looked the program up', async () => {
    const controller = new AbortController();
    const reason = new Error('caller went away');
    const pidFile = path.join(dir, 'never-spawned.pid');
    const run = executeCommand({ command: 'long-sleeper', args: [pidFile], cwd: dir, env: {}, timeoutMs: 60_000, maxOutputBytes: 1_024, searchPath: [bin], signal: controller.signal });
    controller.abort(reason); // the lookup (stat, access) is still under way
    await expect(run).rejects.toBe(reason);
    await sleep(300);
    expect(existsSync(pidFile)).toBe(false);
  });

  test('runs an allowed command and audits it before and after', async () => {
    const outcome = await firewall.exec({ command: 'df', args: ['-h'] }, 'key_a');
    expect(outcome).toMatchObject({ status: 'finished', result: { exitCode: 0, timedOut: false, truncated: false, executable: expect.stringMatching(/\/df$/) } });
    expect((outcome as { result: { stdout: string } }).result.stdout).toMatch(/Filesystem/);
    expect(audit.types()).toEqual(['command.allowed:started', 'command.finished:ok']);
    expect(audit.entries[1]).toMatchObject({ actor: 'key_a', subject: 'df', details: { exitCode: 0, outputSha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });

  test('a refused command is audited with the rule and reason, then 403', async () => {
    await expect(firewall.exec({ command: 'df', args: ['-h;id'] }, 'key_a')).rejects.toMatchObject({ status: 403, code: 'COMMAND_DENIED', details: { denial: 'BAD_ARGUMENT', rule: 'df' } });
    expect(audit.entries).toEqual([expect.objectContaining({ type: 'command.denied', outcome: 'BAD_ARGUMENT', details: expect.objectContaining({ reason: expect.stringContaining('metacharacter') }) })]);
    expect(firewall.stats()).toMatchObject({ denied: 1, deniedBy: { BAD_ARGUMENT: 1 } });
  });

  test('timeout kills the whole process tree', async () => {
    const pidFile = path.join(dir, 'grandchild.pid');
    const outcome = await firewall.exec({ command: 'tree-sleeper', args: [pidFile] }, 'key_a');
    expect(outcome).toMatchObject({ status: 'finished', result: { timedOut: true, signal: 'SIGTERM' } });
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    await sleep(200);
    expect(alive(grandchild)).toBe(false);
    expect(audit.types()).toEqual(['command.allowed:started', 'command.finished:timed-out']);
  });

  test('close() stops commands still running, with everything they started', async () => {
    const pidFile = path.join(dir, `long-${kind}.pid`);
    const run = firewall.exec({ command: 'long-sleeper', args: [pidFile] }, 'key_a');
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await sleep(50);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    const started = Date.now();
    await firewall.close();
    await expect(run).resolves.toMatchObject({ status: 'finished', result: { timedOut: false, signal: 'SIGTERM' } });
    expect(Date.now() - started).toBeLessThan(10_000);
    await sleep(200);
    expect(alive(grandchild)).toBe(false);
  });

  test('output is capped with a truncated flag; the environment is scrubbed to PATH, LANG, HOME and the allowed variables', async () => {
    process.env.JARVIS_FIREWALL_TEST_SECRET = 'do-not-leak';
    try {
      const outcome = await firewall.exec({ command: 'chatty', args: ['100000'], env: { TF_LOG: 'info' } }, 'key_a');
      const result = (outcome as { result: { stdout: string; stderr: string; truncated: boolean } }).result;
      expect(result.truncated).toBe(true);
      expect(result.stdout.length + result.stderr.length).toBeLessThanOrEqual(4_096);
      const small = await firewall.exec({ command: 'chatty', args: ['10'], env: { TF_LOG: 'info' } }, 'key_a');
      expect((small as { result: { stderr: string } }).result.stderr).toBe('env:HOME,LANG,PATH,TF_LOG');
    } finally {
      delete process.env.JARVIS_FIREWALL_TEST_SECRET;
    }
  });

  test('approval: held, then approved by another key it runs; the asker cannot approve itself', async () => {
    const events: string[] = [];
    firewall.on('approval.requested', (a) => events.push(`requested:${a.id}`));
    const held = await firewall.exec({ command: 'free', args: ['-m'] }, 'key_asker');
    expect(held).toMatchObject({ status: 'pending-approval', approval: { status: 'pending', requestedBy: 'key_asker', command: 'free', args: ['-m'] } });
    const id = (held as { approval: { id: string } }).approval.id;
    expect(events).toEqual([`requested:${id}`]);
    await expect(firewall.decide(id, 'approve', 'key_asker')).rejects.toMatchObject({ status: 403 });
    await expect(firewall.decide(id, 'approve', 'key_admin', 'looks fine')).resolves.toMatchObject({ status: 'approved', decidedBy: 'key_admin' });
    let approval = await firewall.approvals.get(id);
    for (let i = 0; i < 100 && approval!.status !== 'finished'; i++) {
      await sleep(50);
      approval = await firewall.approvals.get(id);
    }
    expect(approval).toMatchObject({ status: 'finished', result: { exitCode: 0, stdout: expect.stringMatching(/Mem:/) } });
    expect(audit.types()).toEqual(['approval.requested:pending', 'approval.decided:approved', 'command.allowed:started', 'command.finished:ok']);
    await expect(firewall.decide(id, 'deny', 'key_admin')).rejects.toMatchObject({ status: 409 });
  });

  test('a caller that needs the command now (hold: false) is refused 409 when the policy holds it, and no approval is left behind', async () => {
    const events: string[] = [];
    firewall.on('approval.requested', (a) => events.push(a.id));
    await expect(firewall.exec({ command: 'free', args: ['-m'] }, 'key_asker', undefined, 'ai-dawg', { hold: false })).rejects.toMatchObject({
      status: 409,
      code: 'APPROVAL_REQUIRED',
      message: expect.stringContaining('the caller needed it to run at once'),
      details: { rule: 'free' },
    });
    expect(events).toEqual([]);
    expect(await firewall.listApprovals({ status: 'pending', limit: 50 })).toEqual([]);
    expect(audit.types()).toEqual(['command.denied:APPROVAL_REQUIRED']);
    expect(firewall.stats().deniedBy).toMatchObject({ APPROVAL_REQUIRED: 1 });
    // A command the policy lets run is not affected.
    await expect(firewall.exec({ command: 'df', args: ['-h'] }, 'key_a', undefined, 'ai-dawg', { hold: false })).resolves.toMatchObject({ status: 'finished' });
  });

  test('approval: denied or expired, the command never runs', async () => {
    const denied = (await firewall.exec({ command: 'free', args: ['-m'] }, 'key_asker')) as { approval: { id: string } };
    await firewall.decide(denied.approval.id, 'deny', 'key_admin');
    const short = new TerminalFirewall({ db: t.db, audit, logger: silentLogger(), policyFile, baseDir: dir, overrides: { kubectl: true, terraform: true }, approvalTtlMs: 100 });
    const expiring = (await short.exec({ command: 'free', args: ['-m'] }, 'key_asker')) as { approval: { id: string } };
    await sleep(200);
    await expect(short.decide(expiring.approval.id, 'approve', 'key_admin')).rejects.toMatchObject({ status: 409, details: { status: 'expired' } });
    expect(await short.expireDue()).toBeGreaterThanOrEqual(1);
    expect(await short.approvals.get(expiring.approval.id)).toMatchObject({ status: 'expired' });
    expect(await firewall.approvals.get(denied.approval.id)).toMatchObject({ status: 'denied', result: null });
    expect(audit.types().filter((x) => x.startsWith('command.'))).toEqual([]);
    expect(audit.types()).toContain('approval.expired:expired');
    await short.close();
  });

  test('policy reload: a bad file keeps the old policy; a good one takes effect and is audited', async () => {
    const good = readFileSync(policyFile, 'utf8');
    try {
      writeFileSync(policyFile, '{"version": 1, "rules": {"bash": {}}}');
      await expect(firewall.reload('key_admin')).rejects.toMatchObject({ status: 400, code: 'POLICY_INVALID' });
      expect(firewall.rules.rules.has('df')).toBe(true);
      writePolicy({ free: { description: 'memory', args: ['-m'] } });
      await expect(firewall.reload('key_admin')).resolves.toEqual({ rules: ['free'] });
      await expect(firewall.exec({ command: 'df', args: ['-h'] }, 'key_a')).rejects.toMatchObject({ details: { denial: 'COMMAND_NOT_ALLOWED' } });
      expect(audit.types()).toContain('firewall.policy-reloaded:ok');
    } finally {
      writeFileSync(policyFile, good);
    }
  });

  test('an allowed command that is not installed is a clear 503', async () => {
    writePolicy({ 'no-such-tool': { description: 'missing', args: [] } });
    const missing = new TerminalFirewall({ db: t.db, audit, logger: silentLogger(), policyFile, baseDir: dir, overrides: { kubectl: true, terraform: true }, approvalTtlMs: 60_000 });
    await expect(missing.exec({ command: 'no-such-tool', args: [] }, 'key_a')).rejects.toMatchObject({ status: 503, code: 'COMMAND_NOT_INSTALLED' });
    expect(existsSync(policyFile)).toBe(true);
    await missing.close();
  });
});

describe('terminal firewall: concurrency limits shared by instances on one PostgreSQL server', () => {
  let t: TestDb;
  let dir: string;
  let policyFile: string;
  const gates: TerminalFirewall[] = [];

  beforeAll(async () => {
    t = await openTestDb('postgres');
    dir = mkdtempSync(path.join(os.tmpdir(), 'fw-shared-'));
    // Sleeps until its pid file is removed (or 60 s), so a test decides when it ends.
    writeFileSync(path.join(dir, 'hold'), `#!${process.execPath}\nconst fs = require('node:fs');\nfs.writeFileSync(process.argv[2], String(process.pid));\nconst t = setInterval(() => { if (!fs.existsSync(process.argv[2])) { clearInterval(t); process.exit(0); } }, 20);\nsetTimeout(() => process.exit(0), 60000);\n`);
    chmodSync(path.join(dir, 'hold'), 0o755);
    policyFile = path.join(dir, 'policy.json');
    writeFileSync(
      policyFile,
      JSON.stringify({
        version: 1,
        path: [dir, path.dirname(process.execPath), '/usr/bin', '/bin'],
        defaults: { allowedDirectories: [dir], maxExecutionTimeMs: 60_000 },
        maxConcurrentTotal: 3,
        rules: { hold: { description: 'test', args: ['/[A-Za-z0-9/._-]+'], maxConcurrent: 1 }, df: { description: 'disk', args: ['-h'], maxConcurrent: 5 } },
      }),
    );
  });
  afterAll(async () => {
    for (const g of gates) await g.close();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const gate = () => {
    const g = new TerminalFirewall({ db: t.db, audit: new RecordingAudit(), logger: silentLogger(), policyFile, baseDir: dir, overrides: { kubectl: true, terraform: true }, approvalTtlMs: 60_000 });
    gates.push(g);
    return g;
  };
  async function started(pidFile: string): Promise<void> {
    for (let i = 0; i < 200 && !existsSync(pidFile); i++) await sleep(25);
    expect(existsSync(pidFile)).toBe(true);
  }

  test("a rule's maxConcurrent holds across instances; its slot is free again when the command ends", async () => {
    const [a, b] = [gate(), gate()];
    const pidFile = path.join(dir, 'hold-a.pid');
    const running = a.exec({ command: 'hold', args: [pidFile] }, 'key_a');
    await started(pidFile);
    await expect(b.exec({ command: 'hold', args: [path.join(dir, 'hold-b.pid')] }, 'key_b')).rejects.toMatchObject({ status: 429, code: 'FIREWALL_BUSY', message: expect.stringMatching(/all control-plane instances together \(hold: at most 1/) });
    // Another rule still runs (the total, 3, is not reached).
    await expect(b.exec({ command: 'df', args: ['-h'] }, 'key_b')).resolves.toMatchObject({ status: 'finished' });
    rmSync(pidFile);
    await expect(running).resolves.toMatchObject({ status: 'finished', result: { exitCode: 0 } });
    const again = path.join(dir, 'hold-b2.pid');
    const next = b.exec({ command: 'hold', args: [again] }, 'key_b');
    await started(again);
    rmSync(again);
    await expect(next).resolves.toMatchObject({ status: 'finished' });
  });

  test('a holder whose database session dies (its process was killed) frees its slot', async () => {
    const [a, b] = [gate(), gate()];
    const pidFile = path.join(dir, 'crash-a.pid');
    const running = a.exec({ command: 'hold', args: [pidFile] }, 'key_a');
    await started(pidFile);
    await expect(b.exec({ command: 'hold', args: [path.join(dir, 'crash-b.pid')] }, 'key_b')).rejects.toMatchObject({ code: 'FIREWALL_BUSY' });
    // What the server does when a process dies: its sessions end, and their advisory locks go.
    // Only the session holding this schema's slot (other test files share the server).
    const key = lockKey(t.db.schema, 'rule:hold') >>> 0;
    const [ended] = await t.db.query<{ n: number }>(`SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = $1 AND objsubid = 2`, [key]);
    expect(ended!.n).toBe(1);
    // pg_terminate_backend only signals: the session's locks go when its backend has exited.
    const held = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid::bigint = $1 AND objsubid = 2`, [key]))[0]!.n;
    for (let i = 0; i < 200 && (await held()) > 0; i++) await sleep(25);
    expect(await held()).toBe(0);
    const second = path.join(dir, 'crash-b2.pid');
    const next = b.exec({ command: 'hold', args: [second] }, 'key_b');
    await started(second);
    rmSync(pidFile);
    rmSync(second);
    await expect(running).resolves.toMatchObject({ status: 'finished' });
    await expect(next).resolves.toMatchObject({ status: 'finished' });
  });

  test('the total holds across instances, and a stopped instance frees what it held', async () => {
    writeFileSync(policyFile, readFileSync(policyFile, 'utf8').replace('"maxConcurrent":1', '"maxConcurrent":5'));
    const [a, b, c] = [gate(), gate(), gate()];
    const pids = ['t1', 't2', 't3'].map((n) => path.join(dir, `${n}.pid`));
    const runs = [a.exec({ command: 'hold', args: [pids[0]!] }, 'key_a'), a.exec({ command: 'hold', args: [pids[1]!] }, 'key_a'), b.exec({ command: 'hold', args: [pids[2]!] }, 'key_b')];
    for (const p of pids) await started(p);
    await expect(c.exec({ command: 'df', args: ['-h'] }, 'key_c')).rejects.toMatchObject({ status: 429, code: 'FIREWALL_BUSY' });
    // Instance A shuts down: its commands stop and its sessions, with their locks, end.
    await a.close();
    await Promise.allSettled(runs.slice(0, 2));
    await expect(c.exec({ command: 'df', args: ['-h'] }, 'key_c')).resolves.toMatchObject({ status: 'finished' });
    rmSync(pids[2]!);
    await runs[2];
  });
});
