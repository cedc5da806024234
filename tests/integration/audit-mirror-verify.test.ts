import request from 'supertest';
import type { Db } from '../../src/common/db';
import { connectRedis, type RedisClient } from '../../src/common/kv';
import { AuditLog, type AuditEntry } from '../../src/control-plane/audit';
import { entryHash } from '../../src/control-plane/audit/audit-chain';
import { auditVerifySchema } from '../../src/control-plane/http/audit-schemas';
import { startTestPlane } from '../helpers/control-plane';
import { tamper } from '../helpers/audit';
import { DB_KINDS, openTestDb, TEST_REDIS_URL, uniqueName, type TestDb } from '../helpers/db';
import { silentLogger } from '../helpers/logger';

/**
 * What the hash chain cannot show on its own, seen through the Redis mirror: the newest
 * entries cut off, or the tail rewritten and rehashed so that it links up again. Verify
 * compares the mirror's newest entries with the database once the chain has verified.
 */

/**
 * Rewrites entries from `fromSeq` on with a new outcome and recomputes every hash from there,
 * linked to `prevHash` (by default the one entry `fromSeq` already links to), so the chain verifies.
 */
async function rewriteTail(db: Db, audit: AuditLog, fromSeq: number, prevHashOf?: number): Promise<void> {
  const entries = (await audit.query({ limit: 500 })).entries.reverse();
  let prevHash = prevHashOf === undefined ? entries.find((e) => e.seq === fromSeq)!.prevHash : entries.find((e) => e.seq === prevHashOf)!.hash;
  for (const e of entries.filter((x) => x.seq >= fromSeq)) {
    const content: Omit<AuditEntry, 'prevHash' | 'hash'> = { ...e, outcome: 'rewritten' };
    const hash = entryHash(prevHash, content);
    await tamper(db, 'UPDATE audit_log SET outcome = $1, prev_hash = $2, hash = $3 WHERE seq = $4', ['rewritten', prevHash, hash, e.seq]);
    prevHash = hash;
  }
}

let redis: RedisClient;
beforeAll(async () => {
  redis = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
});
afterAll(async () => {
  await redis.quit();
});

describe.each(DB_KINDS)('audit verify against the Redis mirror on %s', (kind) => {
  let testDb: TestDb;
  let audit: AuditLog;
  let prefix: string;
  let now: Date;

  beforeEach(async () => {
    testDb = await openTestDb(kind);
    prefix = `${uniqueName('auditmv')}:`;
    now = new Date('2026-01-01T00:00:00.000Z');
    audit = new AuditLog({ db: testDb.db, logger: silentLogger(), redis, keyPrefix: prefix, clock: () => now });
    for (let i = 1; i <= 6; i++) await audit.append({ type: 'command.finished', actor: 'key1', subject: `cmd${i}`, outcome: '0', details: { i } });
    await audit.flush();
  });
  afterEach(async () => {
    await audit.close();
    await redis.del(`${prefix}audit`);
    await testDb.drop();
  });

  it('an intact log verifies, and says how many mirrored entries it compared', async () => {
    expect(await audit.verify()).toEqual({ ok: true, checked: 6, mirror: { compared: 6 } });
  });

  it('detects the newest entries cut off, which the chain alone passes', async () => {
    const [fifth] = (await audit.query({ limit: 1, before: 6 })).entries;
    await tamper(testDb.db, 'DELETE FROM audit_log WHERE seq >= 5');
    const result = await audit.verify();
    expect(result).toEqual({
      ok: false,
      checked: 4,
      firstBroken: { seq: 5, id: fifth!.id, reason: 'entry 5 is in the Redis mirror but the database ends at entry 4: its newest entries were cut off' },
      mirror: { compared: 6 },
    });
  });

  it('detects every entry cut off', async () => {
    await tamper(testDb.db, 'DELETE FROM audit_log');
    expect(await audit.verify()).toMatchObject({ ok: false, checked: 0, firstBroken: { seq: 1, reason: expect.stringMatching(/the database holds no entry: its newest entries were cut off/) } });
  });

  it('detects the tail rewritten and rehashed so that the chain links up again', async () => {
    await rewriteTail(testDb.db, audit, 4);
    const result = await audit.verify();
    expect(result).toMatchObject({
      ok: false,
      checked: 6,
      firstBroken: { seq: 4, reason: 'entry 4 differs from its copy in the Redis mirror: the chain was rewritten from this entry or an earlier one' },
      mirror: { compared: 6 },
    });
  });

  it('detects an older entry the mirror still holds removed and the rest renumbered and rehashed', async () => {
    // Delete entry 2, move 3..6 down by one and rehash from there: the chain verifies, the mirror does not.
    await tamper(testDb.db, 'DELETE FROM audit_log WHERE seq = 2');
    for (let seq = 3; seq <= 6; seq++) await tamper(testDb.db, 'UPDATE audit_log SET seq = $1 WHERE seq = $2', [seq - 1, seq]);
    await rewriteTail(testDb.db, audit, 2, 1);
    const result = await audit.verify();
    expect(result.checked).toBe(5);
    expect(result).toMatchObject({ ok: false, firstBroken: { seq: 2, reason: expect.stringMatching(/differs from its copy/) } });
  });

  it('compares only the newest mirrorVerifyCount entries', async () => {
    const narrow = new AuditLog({ db: testDb.db, logger: silentLogger(), redis, keyPrefix: prefix, mirrorVerifyCount: 2 });
    expect(await narrow.verify()).toEqual({ ok: true, checked: 6, mirror: { compared: 2 } });
    // A rewritten tail always reaches the newest entries, which are the ones compared.
    await rewriteTail(testDb.db, audit, 6);
    expect(await narrow.verify()).toMatchObject({ ok: false, firstBroken: { seq: 6 }, mirror: { compared: 2 } });
    await narrow.close();
  });

  it('entries pruned since they were mirrored are not compared', async () => {
    now = new Date('2026-04-15T00:00:00.000Z');
    await audit.append({ type: 'infra.change', actor: 'system' });
    const { pruned } = await audit.prune({ olderThanDays: 90 });
    await audit.flush();
    expect(pruned).toBe(6);
    // Left: entry 7 and the audit.pruned entry 8, both mirrored.
    expect(await audit.verify()).toMatchObject({ ok: true, checked: 2, mirror: { compared: 2 } });
  });

  it('entries written while verify runs never count as cut off', async () => {
    let writing = true;
    const writer = (async () => {
      while (writing) {
        for (let i = 0; i < 20; i++) audit.record({ type: 'api.request', subject: 'GET /status', outcome: '200' });
        await audit.flush();
      }
    })();
    try {
      for (let round = 0; round < 5; round++) expect(await audit.verify()).toMatchObject({ ok: true, mirror: { compared: expect.any(Number) } });
    } finally {
      writing = false;
      await writer;
    }
    const final = await audit.verify();
    expect(final.mirror!.compared).toBe(final.checked);
  });

  it('stream messages without a seq and hash are counted, not compared', async () => {
    await redis.xAdd(`${prefix}audit`, '*', { seq: 'x', hash: 'nope' });
    await redis.xAdd(`${prefix}audit`, '*', { note: 'stray' });
    expect(await audit.verify()).toEqual({ ok: true, checked: 6, mirror: { compared: 6, malformed: 2 } });
  });

  it('an unreachable Redis leaves the chain verdict standing and says the mirror was not compared', async () => {
    const broken = await connectRedis({ url: TEST_REDIS_URL, connectTimeoutMs: 2_000, logger: silentLogger() });
    broken.destroy();
    const blind = new AuditLog({ db: testDb.db, logger: silentLogger(), redis: broken, keyPrefix: prefix });
    const result = await blind.verify();
    expect(result).toMatchObject({ ok: true, checked: 6, mirror: { compared: 0, unavailable: 'The client is closed' } });
    await blind.close();
  });

  it('a broken chain is reported as such, without a mirror comparison', async () => {
    await tamper(testDb.db, `UPDATE audit_log SET details = '{"i": 33}' WHERE seq = 3`);
    const result = await audit.verify();
    expect(result).toMatchObject({ ok: false, checked: 2, firstBroken: { seq: 3, reason: expect.stringMatching(/edited/) } });
    expect(result.mirror).toBeUndefined();
  });
});

describe('POST /api/v1/audit/verify with REDIS_URL', () => {
  it('answers the mirror comparison in the documented shape, and the newest entries cut off as broken', async () => {
    const prefix = `${uniqueName('auditmvr')}:`;
    const plane = await startTestPlane({ redis, env: { REDIS_KEY_PREFIX: prefix } });
    try {
      for (let i = 0; i < 3; i++) await request(plane.app).get('/status').set('x-api-key', plane.userKey).expect(200);
      await plane.audit.flush();
      const intact = await request(plane.app).post('/api/v1/audit/verify').set('x-api-key', plane.adminKey).expect(200);
      const verdict = auditVerifySchema.parse(intact.body);
      expect(verdict).toMatchObject({ ok: true, mirror: { compared: verdict.checked } });
      expect(verdict.checked).toBeGreaterThanOrEqual(3);

      // Cut off from the newest entry verify saw (the verify request's own entry came after it).
      const newest = verdict.checked;
      await plane.audit.flush();
      await tamper(plane.testDb.db, 'DELETE FROM audit_log WHERE seq >= $1', [newest]);
      const cut = await request(plane.app).post('/api/v1/audit/verify').set('x-api-key', plane.adminKey).expect(200);
      expect(auditVerifySchema.parse(cut.body)).toMatchObject({
        ok: false,
        firstBroken: { seq: newest, reason: `entry ${newest} is in the Redis mirror but the database ends at entry ${newest - 1}: its newest entries were cut off` },
        mirror: { compared: expect.any(Number) },
      });
    } finally {
      await plane.stop();
      await redis.del(`${prefix}audit`);
    }
  });
});

describe('mirrorVerifyCount', () => {
  it('must be a positive integer', async () => {
    const testDb = await openTestDb('pglite');
    try {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        expect(() => new AuditLog({ db: testDb.db, logger: silentLogger(), redis, keyPrefix: 'x:', mirrorVerifyCount: bad })).toThrow(/mirrorVerifyCount must be a positive integer/);
      }
    } finally {
      await testDb.drop();
    }
  });
});
