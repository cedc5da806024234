import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { AuditLog, AuditWitnessFile } from '../../src/control-plane/audit';
import { auditVerifySchema } from '../../src/control-plane/http/audit-schemas';
import { tamper } from '../helpers/audit';
import { startTestPlane } from '../helpers/control-plane';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

/**
 * What the hash chain cannot show on its own, seen without Redis through AUDIT_WITNESS_FILE:
 * the chain's head appended to a file outside the database after each commit (at most once a
 * second), compared with the database by verify.
 */

describe.each(DB_KINDS)('audit verify against a witness file on %s', (kind) => {
  let testDb: TestDb;
  let dir: string;
  let file: string;
  let problems: string[];
  let witness: AuditWitnessFile;
  let audit: AuditLog;
  let now: Date;

  const lines = () => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { db: string; seq: number; hash: string; id: string; at: string });
  async function append(n: number, from = 1) {
    for (let i = from; i < from + n; i++) {
      await audit.append({ type: 'command.finished', actor: 'key1', subject: `cmd${i}`, outcome: '0', details: { i } });
      await witness.flush();
    }
  }

  beforeEach(async () => {
    testDb = await openTestDb(kind);
    dir = mkdtempSync(path.join(os.tmpdir(), 'audit-witness-'));
    file = path.join(dir, 'audit-witness.log');
    problems = [];
    witness = new AuditWitnessFile({ file, db: `test:${testDb.db.schema}`, onError: (m) => problems.push(m), intervalMs: 5 });
    now = new Date('2026-01-01T00:00:00.000Z');
    audit = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:', witness, clock: () => now });
    await append(6);
  });
  afterEach(async () => {
    await audit.close();
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an intact log verifies, and says how many heads it compared', async () => {
    expect(lines().map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines()[5]).toEqual({ db: `test:${testDb.db.schema}`, seq: 6, hash: expect.stringMatching(/^[0-9a-f]{64}$/), id: expect.any(String), at: expect.any(String) });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await audit.verify()).toEqual({ ok: true, checked: 6, witness: { file, compared: 6 } });
    expect(problems).toEqual([]);
  });

  it('detects the newest entries cut off, which the chain alone passes', async () => {
    const [fifth] = (await audit.query({ limit: 1, before: 6 })).entries;
    await tamper(testDb.db, 'DELETE FROM audit_log WHERE seq >= 5');
    expect(await audit.verify()).toEqual({
      ok: false,
      checked: 4,
      firstBroken: { seq: 5, id: fifth!.id, reason: `entry 5 is in the witness file ${file} but the database ends at entry 4: its newest entries were cut off` },
      witness: { file, compared: 6 },
    });
  });

  it('detects the tail rewritten and rehashed so that the chain links up again', async () => {
    const { entryHash } = await import('../../src/control-plane/audit/audit-chain');
    const entries = (await audit.query({ limit: 10 })).entries.reverse();
    let prevHash = entries.find((e) => e.seq === 4)!.hash;
    for (const e of entries.filter((x) => x.seq >= 5)) {
      const hash = entryHash(prevHash, { ...e, outcome: 'rewritten' });
      await tamper(testDb.db, 'UPDATE audit_log SET outcome = $1, prev_hash = $2, hash = $3 WHERE seq = $4', ['rewritten', prevHash, hash, e.seq]);
      prevHash = hash;
    }
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 6, firstBroken: { seq: 5, reason: expect.stringContaining('differs from its copy in the witness file') } });
  });

  it('writes the newest head of a burst once; skips other databases’ lines and counts malformed ones; keeps heads across a rotation', async () => {
    for (let i = 0; i < 20; i++) audit.record({ type: 'api.request', actor: 'key1', subject: `/r${i}`, outcome: '200' });
    await audit.flush();
    await witness.flush();
    expect(lines().map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 26]);
    appendFileSync(file, `${JSON.stringify({ db: 'postgres:elsewhere/public', seq: 999, hash: 'f'.repeat(64), id: 'x' })}\nnot json\n${JSON.stringify({ db: `test:${testDb.db.schema}`, seq: 'x', hash: 'nope' })}\n`);
    expect(await audit.verify()).toEqual({ ok: true, checked: 26, witness: { file, compared: 7, malformed: 2 } });

    // A small file rotates: the lines before it are read from <file>.1.
    const small = new AuditWitnessFile({ file, db: `test:${testDb.db.schema}`, onError: (m) => problems.push(m), intervalMs: 5, rotateBytes: 100 });
    const rotating = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:', witness: small });
    await rotating.append({ type: 'command.finished', actor: 'key1', subject: 'after', outcome: '0' });
    await small.flush();
    expect(readFileSync(`${file}.1`, 'utf8')).toContain('"seq":26');
    expect(lines().map((l) => l.seq)).toEqual([27]);
    expect(await rotating.verify()).toMatchObject({ ok: true, checked: 27, witness: { compared: 8 } });
    await rotating.close();
  });

  it('heads of pruned entries are not compared, and the prune entry is witnessed', async () => {
    now = new Date('2026-01-03T00:00:00.000Z');
    await audit.prune({ olderThanDays: 1 });
    await witness.flush();
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: true, checkpoint: { seq: 6 }, witness: { compared: 1 } });
    expect(lines().at(-1)!.seq).toBe(7);
  });

  it('a file it cannot write is said once, not per entry; verify then finds no head to compare', async () => {
    const lost = new AuditWitnessFile({ file: path.join(dir, 'no-such-dir', 'w.log'), db: 'test:x', onError: (m) => problems.push(m), intervalMs: 5 });
    const log = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:', witness: lost });
    for (let i = 0; i < 3; i++) {
      await log.append({ type: 'command.finished', actor: 'key1', subject: `x${i}`, outcome: '0' });
      await lost.flush();
    }
    expect(problems).toEqual([expect.stringMatching(/^the audit witness file .*w\.log could not be written: ENOENT/)]);
    expect(await log.verify()).toMatchObject({ ok: true, witness: { compared: 0 } });
    await log.close();
  });
});

it('AUDIT_WITNESS_FILE on a control plane: POST /api/v1/audit/verify compares its heads, in the documented shape', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'audit-witness-plane-'));
  const file = path.join(dir, 'witness.log');
  const plane = await startTestPlane({ kind: 'pglite', env: { AUDIT_WITNESS_FILE: file } });
  try {
    await request(plane.app).get('/status').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    await plane.audit.flush();
    // Heads are appended at most once a second.
    for (let i = 0; i < 40 && !readFileSync(file, { encoding: 'utf8', flag: 'a+' }).length; i++) await new Promise((r) => setTimeout(r, 100));
    const res = await request(plane.app).post('/api/v1/audit/verify').set('authorization', `Bearer ${plane.adminKey}`).expect(200);
    expect(auditVerifySchema.parse(res.body)).toMatchObject({ ok: true, witness: { file, compared: expect.any(Number) } });
    expect(res.body.witness.compared).toBeGreaterThan(0);
    expect(readFileSync(file, 'utf8')).toMatch(/^\{"db":"pglite:\/[^"]*\/pglite\/[a-z0-9_]+","seq":\d+/);
  } finally {
    await plane.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
