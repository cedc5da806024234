import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../../src/common/db';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/common/db/migrate';
import { ApiKeyService } from '../../src/control-plane/auth';
import { DB_KINDS, openTestDb, type TestDb } from '../helpers/db';

describe.each(DB_KINDS)('storage on %s', (kind) => {
  let testDb: TestDb;

  beforeAll(async () => {
    testDb = await openTestDb(kind);
  });
  afterAll(async () => {
    await testDb.drop();
  });

  it('has run every migration once and a second run applies nothing', async () => {
    const rows = await testDb.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    const files = await loadMigrations();
    expect(rows.map((r) => r.version)).toEqual(files.map((f) => f.version));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(await migrate(testDb.db)).toEqual({ applied: [] });
  });

  it('reports whether pgvector is usable, and it works where it says so', async () => {
    if (kind === 'pglite') expect(testDb.db.vector).toBe(true);
    if (testDb.db.vector) {
      const [row] = await testDb.db.query<{ d: number }>("SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d");
      expect(row!.d).toBeCloseTo(1);
    }
  });

  it("keeps a task's and a schedule's payload keys in the order they were written (json, not jsonb)", async () => {
    const payload = JSON.stringify({ title: 'Neon', duration: 30, nested: { zz: 1, a: 2 } });
    const [task] = await testDb.db.query<{ payload: { nested: object } }>(
      `INSERT INTO tasks (id, agent, task_type, priority, payload, status, max_attempts, timeout_ms, resumable) VALUES ($1, 'Probe', 'noop', 'low', $2, 'queued', 1, 1000, false) RETURNING payload`,
      [`tsk_${randomUUID()}`, payload],
    );
    // jsonb answers title, nested, duration (by length) and a, zz.
    expect(Object.keys(task!.payload)).toEqual(['title', 'duration', 'nested']);
    expect(Object.keys(task!.payload.nested)).toEqual(['zz', 'a']);
    const [schedule] = await testDb.db.query<{ payload: object }>(
      `INSERT INTO task_schedules (id, name, cron, timezone, agent, task_type, payload, priority, next_run_at) VALUES ($1, $1, '0 3 * * *', 'UTC', 'Probe', 'noop', $2, 'low', now()) RETURNING payload`,
      [`sch_${randomUUID()}`, payload],
    );
    expect(Object.keys(schedule!.payload)).toEqual(['title', 'duration', 'nested']);
    await testDb.db.query('DELETE FROM tasks');
    await testDb.db.query('DELETE FROM task_schedules');
  });

  it('rolls a failed transaction back completely', async () => {
    await testDb.db.exec('CREATE TABLE tx_probe (id int PRIMARY KEY)');
    await expect(
      testDb.db.transaction(async (tx) => {
        await tx.query('INSERT INTO tx_probe (id) VALUES ($1)', [1]);
        await tx.query('INSERT INTO tx_probe (id) VALUES ($1)', [1]);
      }),
    ).rejects.toThrow();
    expect(await testDb.db.query('SELECT * FROM tx_probe')).toEqual([]);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'jarvis-mig-'));
    const other = await openTestDb(kind, { migrate: false });
    try {
      await writeFile(path.join(dir, '001_api_keys.sql'), await readFile(path.join(MIGRATIONS_DIR, '001_api_keys.sql'), 'utf8'));
      expect((await migrate(other.db, dir)).applied).toEqual(['001_api_keys.sql']);
      await writeFile(path.join(dir, '001_api_keys.sql'), 'SELECT 1;');
      await expect(migrate(other.db, dir)).rejects.toThrow(/changed after it was applied/);
    } finally {
      await other.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rolls back a failing migration without recording it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'jarvis-mig-'));
    const other = await openTestDb(kind, { migrate: false });
    try {
      await writeFile(path.join(dir, '001_ok.sql'), 'CREATE TABLE good (id int);');
      await writeFile(path.join(dir, '002_bad.sql'), 'CREATE TABLE bad (id int); SELECT no_such_function();');
      await expect(migrate(other.db, dir)).rejects.toThrow();
      const tables = await other.db.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
        [other.db.schema],
      );
      expect(tables).toEqual([]);
    } finally {
      await other.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('API keys', () => {
    let now = 1_000_000;
    let keys: ApiKeyService;

    beforeAll(() => {
      keys = new ApiKeyService(testDb.db, { cacheTtlMs: 1_000, touchIntervalMs: 0, now: () => now });
    });

    it('creates a key that authenticates, stores only its digest, and lists it without secrets', async () => {
      const created = await keys.create('ci', ['devops']);
      // The secret is everything after "jrv_<16 hex id>_"; it may itself contain "_".
      const secret = created.key.slice('jrv_'.length + 16 + 1);
      expect(secret).toHaveLength(43);
      expect(created.key).toMatch(/^jrv_[a-f0-9]{16}_[A-Za-z0-9_-]{43}$/);
      expect(await keys.authenticate(created.key)).toEqual({ kind: 'api-key', id: created.id, scopes: ['devops'] });

      const rows = await testDb.db.query<{ secret_hash: Uint8Array }>('SELECT * FROM api_keys WHERE id = $1', [created.id]);
      expect(Buffer.from(rows[0]!.secret_hash)).toEqual(createHash('sha256').update(secret).digest());
      expect(JSON.stringify(rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))).not.toContain(secret);

      const listed = (await keys.list()).find((k) => k.id === created.id);
      expect(listed).toMatchObject({ name: 'ci', scopes: ['devops'], revokedAt: null });
      expect(JSON.stringify(listed)).not.toContain(secret);
    });

    it('rejects a wrong secret for a real id, malformed keys and unknown ids', async () => {
      const created = await keys.create('wrong-secret', []);
      const forged = `${created.key.slice(0, -4)}AAAA`;
      expect(await keys.authenticate(forged)).toBeNull();
      expect(await keys.authenticate('jrv_0000000000000000_' + 'A'.repeat(43))).toBeNull();
      expect(await keys.authenticate('not-a-key')).toBeNull();
      expect(await keys.authenticate('')).toBeNull();
    });

    it('records the last use', async () => {
      const created = await keys.create('used', []);
      expect((await keys.list()).find((k) => k.id === created.id)!.lastUsedAt).toBeNull();
      await keys.authenticate(created.key);
      await new Promise((r) => setTimeout(r, 50));
      expect((await keys.list()).find((k) => k.id === created.id)!.lastUsedAt).not.toBeNull();
    });

    it('revokes: the key stops working at once here, and after the cache TTL on another instance', async () => {
      const created = await keys.create('revoke-me', ['devops']);
      const otherInstance = new ApiKeyService(testDb.db, { cacheTtlMs: 1_000, now: () => now });
      expect(await otherInstance.authenticate(created.key)).not.toBeNull();

      const revoked = await keys.revoke(created.id);
      expect(revoked.revokedAt).not.toBeNull();
      expect(await keys.authenticate(created.key)).toBeNull();

      now += 1_001;
      expect(await otherInstance.authenticate(created.key)).toBeNull();
      expect((await keys.list()).some((k) => k.id === created.id)).toBe(false);
      expect((await keys.list(true)).some((k) => k.id === created.id)).toBe(true);
      // Revoking again keeps the first revocation time.
      expect((await keys.revoke(created.id)).revokedAt).toBe(revoked.revokedAt);
    });

    it('refuses to revoke the last active admin key', async () => {
      const admins = (await keys.list()).filter((k) => k.scopes.includes('admin'));
      for (const k of admins) await keys.revoke(k.id).catch(() => undefined);
      const last = await keys.create('last-admin', ['admin']);
      await expect(keys.revoke(last.id)).rejects.toMatchObject({ status: 409 });
      const spare = await keys.create('spare-admin', ['admin']);
      await expect(keys.revoke(last.id)).resolves.toMatchObject({ id: last.id });
      await expect(keys.revoke(spare.id)).rejects.toMatchObject({ status: 409 });
      expect(await keys.authenticate(spare.key)).not.toBeNull();
    });

    it('404s when revoking an unknown key', async () => {
      await expect(keys.revoke('ffffffffffffffff')).rejects.toMatchObject({ status: 404 });
    });

    it('accepts the integration token, compared in full', async () => {
      const token = 'x'.repeat(40);
      const withToken = new ApiKeyService(testDb.db, { integrationToken: token });
      expect(await withToken.authenticate(token)).toMatchObject({ kind: 'integration-token', scopes: [] });
      expect(await withToken.authenticate(token.slice(0, 39))).toBeNull();
      expect(await withToken.authenticate(`${token}x`)).toBeNull();
    });
  });

  it('stores no bootstrap key when showing it fails, so the next start tries again', async () => {
    const fresh = await openTestDb(kind);
    try {
      const keys = new ApiKeyService(fresh.db);
      await expect(keys.bootstrapAdmin(async () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
      expect(await fresh.db.query('SELECT id FROM api_keys')).toHaveLength(0);
      let shown = '';
      const created = await keys.bootstrapAdmin(async (k) => {
        shown = k.key;
      });
      expect(shown).toBe(created!.key);
    } finally {
      await fresh.drop();
    }
  });

  it('bootstraps exactly one admin key, even when two instances race', async () => {
    const fresh = await openTestDb(kind);
    try {
      const a = new ApiKeyService(fresh.db);
      const b = new ApiKeyService(fresh.db);
      const results = await Promise.all([a.bootstrapAdmin(), b.bootstrapAdmin()]);
      const created = results.filter(Boolean);
      expect(created).toHaveLength(1);
      expect(created[0]!.scopes).toEqual(['admin', 'devops']);
      expect(await a.bootstrapAdmin()).toBeUndefined();
      expect(await fresh.db.query('SELECT id FROM api_keys')).toHaveLength(1);
    } finally {
      await fresh.drop();
    }
  });
});
