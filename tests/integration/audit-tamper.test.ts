import { createHash } from 'node:crypto';
import { AuditLog, AuditRetentionJob } from '../../src/control-plane/audit';
import { tamper } from '../helpers/audit';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

/**
 * Tamper detection: the append-only trigger stops stray changes, and when someone with
 * database access gets past it (as an attacker would, by disabling it), verify names the
 * first broken entry. Retention keeps the chain verifiable through a checkpoint.
 */

describe.each(DB_KINDS)('audit tampering on %s', (kind) => {
  let testDb: TestDb;
  let audit: AuditLog;
  let now: Date;

  beforeEach(async () => {
    testDb = await openTestDb(kind);
    now = new Date('2026-01-01T00:00:00.000Z');
    audit = new AuditLog({ db: testDb.db, logger: silentLogger(), keyPrefix: 'unused:', clock: () => now });
    for (let i = 1; i <= 6; i++) await audit.append({ type: 'command.finished', actor: 'key1', subject: `cmd${i}`, outcome: '0', details: { i } });
  });
  afterEach(async () => {
    await audit.close();
    await testDb.drop();
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the log and its checkpoints', async () => {
    const { db } = testDb;
    await expect(db.query("UPDATE audit_log SET outcome = '1' WHERE seq = 2")).rejects.toThrow(/append-only: UPDATE on audit_log refused/);
    await expect(db.query('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only: DELETE on audit_log refused/);
    await expect(db.exec('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE/);
    await db.query("INSERT INTO audit_checkpoints (seq, hash, pruned, created_at) VALUES (1, 'x', 1, now())");
    await expect(db.query('DELETE FROM audit_checkpoints')).rejects.toThrow(/append-only: DELETE on audit_checkpoints refused/);
    await expect(db.query("UPDATE audit_checkpoints SET hash = 'y'")).rejects.toThrow(/append-only/);
  });

  it('the prune switch does not open UPDATE, and does not outlive its transaction', async () => {
    await expect(
      testDb.db.transaction(async (tx) => {
        await tx.query("SELECT set_config('jarvis.audit_prune', 'on', true)");
        await tx.query("UPDATE audit_log SET outcome = '1' WHERE seq = 2");
      }),
    ).rejects.toThrow(/append-only: UPDATE/);
    await testDb.db.transaction((tx) => tx.query("SELECT set_config('jarvis.audit_prune', 'on', true)"));
    await expect(testDb.db.query('DELETE FROM audit_log WHERE seq = 2')).rejects.toThrow(/append-only: DELETE/);
  });

  it('an intact chain verifies', async () => {
    expect(await audit.verify()).toEqual({ ok: true, checked: 6 });
  });

  it('detects an edited entry and names it', async () => {
    await tamper(testDb.db, `UPDATE audit_log SET details = '{"i": 33}' WHERE seq = 3`);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, checked: 2, firstBroken: { seq: 3, reason: expect.stringMatching(/edited/) } });
    const [third] = (await audit.query({ limit: 1, before: 4 })).entries;
    expect(result.firstBroken!.id).toBe(third!.id);
  });

  it('detects an edit whose hash was recomputed too: the next entry no longer links to it', async () => {
    const [third] = (await audit.query({ limit: 1, before: 4 })).entries;
    const { id, seq, createdAt, type, actor, subject, details, prevHash } = third!;
    // The documented formula, written out: sha256(prev_hash || JSON with sorted keys).
    const content = { actor, createdAt, details, id, outcome: '1', seq, subject, type };
    const hash = createHash('sha256').update(prevHash).update(JSON.stringify(content)).digest('hex');
    await tamper(testDb.db, `UPDATE audit_log SET outcome = '1', hash = $1 WHERE seq = 3`, [hash]);
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 3, firstBroken: { seq: 4, reason: expect.stringMatching(/prev_hash does not match the hash of entry 3/) } });
  });

  it('detects a deleted entry, naming the entry found in its place and the missing seq', async () => {
    await tamper(testDb.db, 'DELETE FROM audit_log WHERE seq = 4');
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 3, firstBroken: { seq: 5, reason: expect.stringMatching(/entry 4 is missing/) } });
  });

  it('detects the oldest entries deleted', async () => {
    await tamper(testDb.db, 'DELETE FROM audit_log WHERE seq <= 2');
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 0, firstBroken: { seq: 3, reason: expect.stringMatching(/entries 1-2 are missing/) } });
  });

  it('detects two swapped entries, naming the first place the order breaks', async () => {
    await tamper(testDb.db, 'UPDATE audit_log SET seq = 1000 WHERE seq = 4');
    await tamper(testDb.db, 'UPDATE audit_log SET seq = 4 WHERE seq = 5');
    await tamper(testDb.db, 'UPDATE audit_log SET seq = 5 WHERE seq = 1000');
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 3, firstBroken: { seq: 4, reason: expect.stringMatching(/prev_hash/) } });
  });

  it('prune deletes old entries, and the chain still verifies from its checkpoint', async () => {
    now = new Date('2026-04-15T00:00:00.000Z');
    await audit.append({ type: 'infra.change', actor: 'system' });
    const result = await audit.prune({ olderThanDays: 90 });
    expect(result.pruned).toBe(6);
    expect(result.checkpoint).toMatchObject({ seq: 6, pruned: 6 });
    const [pruned, recent] = (await audit.query({ limit: 10 })).entries;
    expect(pruned).toMatchObject({ seq: 8, type: 'audit.pruned', actor: 'system', details: { checkpointSeq: 6, checkpointHash: result.checkpoint!.hash, pruned: 6 } });
    expect(recent).toMatchObject({ seq: 7, prevHash: result.checkpoint!.hash });
    expect(await audit.verify()).toEqual({ ok: true, checked: 2, checkpoint: result.checkpoint });
    expect(await audit.prune({ olderThanDays: 90 })).toEqual({ pruned: 0, checkpoint: null });

    // Everything pruned: appends continue from the checkpoint.
    now = new Date('2026-09-01T00:00:00.000Z');
    const second = await audit.prune({ olderThanDays: 90 });
    expect(second).toMatchObject({ pruned: 2, checkpoint: { seq: 8 } });
    await audit.append({ type: 'infra.change', actor: 'system' });
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 2, checkpoint: { seq: 8 } });
  });

  it('after a prune, still detects a deleted head hidden behind a forged checkpoint', async () => {
    now = new Date('2026-04-15T00:00:00.000Z');
    for (let i = 0; i < 3; i++) await audit.append({ type: 'infra.change', actor: 'system' });
    await audit.prune({ olderThanDays: 90 });
    const [seven] = (await audit.query({ limit: 1, before: 8 })).entries;
    await tamper(testDb.db, 'DELETE FROM audit_log WHERE seq = 7');
    expect(await audit.verify()).toMatchObject({ ok: false, firstBroken: { seq: 8, reason: expect.stringMatching(/entry 7 is missing/) } });
    // The attacker also writes a checkpoint that makes the rest of the chain link up.
    await testDb.db.query('INSERT INTO audit_checkpoints (seq, hash, pruned, created_at) VALUES ($1, $2, 1, now())', [7, seven!.hash]);
    expect(await audit.verify()).toMatchObject({ ok: false, firstBroken: { seq: 7, id: null, reason: expect.stringMatching(/not named by any audit.pruned entry/) } });
  });

  it('the retention job prunes on its timer and stops cleanly', async () => {
    now = new Date('2026-04-15T00:00:00.000Z');
    const job = new AuditRetentionJob(audit, silentLogger(), { olderThanDays: 90, firstRunMs: 1, intervalMs: 60_000 });
    job.start();
    const deadline = Date.now() + 10_000;
    while ((await audit.query({ type: 'audit.pruned', limit: 1 })).entries.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await job.stop();
    expect((await audit.query({ limit: 10 })).entries.map((e) => e.type)).toEqual(['audit.pruned']);
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 1, checkpoint: { seq: 6 } });
  });
});
