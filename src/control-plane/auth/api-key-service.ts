import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../../common/db';
import { ConflictError, NotFoundError } from '../../common/errors';
import { digestsEqual, randomToken, secretMatcher, sha256 } from '../../common/secrets';
import type { ApiKeyScope, Principal } from './principal';

export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The full key. Returned once; only its digest is stored. */
  key: string;
}

interface Row {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  secret_hash: Uint8Array;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

interface CacheEntry {
  principal: Principal | null;
  secretHash: Buffer;
  expiresAt: number;
}

export interface ApiKeyServiceOptions {
  integrationToken?: string;
  /** How long a verified key is trusted without a database read. Revocation on another instance takes up to this long. */
  cacheTtlMs?: number;
  /** last_used_at is written at most this often per key, so hot keys do not write on every request. */
  touchIntervalMs?: number;
  now?: () => number;
}

const KEY_FORMAT = /^jrv_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_CACHE = 10_000;

function toInfo(row: Row): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: new Date(row.created_at).toISOString(),
    lastUsedAt: row.last_used_at ? new Date(row.last_used_at).toISOString() : null,
    revokedAt: row.revoked_at ? new Date(row.revoked_at).toISOString() : null,
  };
}

const COLUMNS = 'id, name, scopes, secret_hash, created_at, last_used_at, revoked_at';

/**
 * API keys: `jrv_<16 hex id>_<43 chars secret>`. The id locates the row; the secret is
 * checked against a stored SHA-256 digest in constant time.
 */
export class ApiKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly lastTouched = new Map<string, number>();
  private readonly cacheTtlMs: number;
  private readonly touchIntervalMs: number;
  private readonly now: () => number;
  private readonly isIntegrationToken: ((presented: string) => boolean) | undefined;

  constructor(
    private readonly db: Db,
    options: ApiKeyServiceOptions = {},
  ) {
    this.cacheTtlMs = options.cacheTtlMs ?? 30_000;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.isIntegrationToken = options.integrationToken ? secretMatcher(options.integrationToken) : undefined;
  }

  async create(name: string, scopes: ApiKeyScope[], on: Queryable = this.db): Promise<CreatedApiKey> {
    const id = randomBytes(8).toString('hex');
    const secret = randomToken(32);
    const rows = await on.query<Row>(
      `INSERT INTO api_keys (id, name, scopes, secret_hash) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [id, name, [...new Set(scopes)], sha256(secret)],
    );
    return { ...toInfo(rows[0]!), key: `jrv_${id}_${secret}` };
  }

  async list(includeRevoked = false): Promise<ApiKeyInfo[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM api_keys ${includeRevoked ? '' : 'WHERE revoked_at IS NULL'} ORDER BY created_at, id`,
    );
    return rows.map(toInfo);
  }

  /** An active key's scopes; undefined for an unknown or revoked key (or anything that is not a key id). */
  async activeScopes(id: string): Promise<ApiKeyScope[] | undefined> {
    const rows = await this.db.query<{ scopes: ApiKeyScope[] }>('SELECT scopes FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [id]);
    return rows[0]?.scopes;
  }

  /**
   * Revokes a key. The last active admin key cannot be revoked: without one no key can be
   * created any more, and the bootstrap only runs on an empty database.
   */
  async revoke(id: string): Promise<ApiKeyInfo> {
    const row = await this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jarvis_api_keys:${this.db.schema}`]);
      const [target] = await tx.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
      if (!target) throw new NotFoundError(`No API key with id "${id}"`);
      if (target.revoked_at) return target;
      if (target.scopes.includes('admin')) {
        const [others] = await tx.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL AND 'admin' = ANY(scopes) AND id <> $1",
          [id],
        );
        if (!others?.n) throw new ConflictError('This is the last active admin key; create another admin key before revoking it');
      }
      const [updated] = await tx.query<Row>(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
      return updated!;
    });
    this.cache.delete(id);
    return toInfo(row);
  }

  /**
   * Creates the first admin key when the database has no key at all. Runs under an advisory
   * lock so two instances starting together create one key, not two. `deliver` shows the key
   * to the operator inside the transaction: if it fails, no key is stored, so the next start
   * tries again instead of leaving an admin key nobody has seen.
   */
  async bootstrapAdmin(deliver: (created: CreatedApiKey) => Promise<void> = async () => {}): Promise<CreatedApiKey | undefined> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jarvis_bootstrap_admin:${this.db.schema}`]);
      const existing = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys');
      if ((existing[0]?.n ?? 0) > 0) return undefined;
      const created = await this.create('bootstrap-admin', ['admin', 'devops'], tx);
      await deliver(created);
      return created;
    });
  }

  /** Resolves a presented credential (integration token or API key) to a principal, or null. */
  async authenticate(credential: string): Promise<Principal | null> {
    const known = this.authenticateFromMemory(credential);
    if (known !== undefined) return known;
    const [, id, secret] = KEY_FORMAT.exec(credential) as unknown as [string, string, string];
    const rows = await this.db.query<Row>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
    const row = rows[0];
    const storedHash = row ? Buffer.from(row.secret_hash) : Buffer.alloc(32);
    const principal: Principal | null =
      row && !row.revoked_at ? { kind: 'api-key', id: row.id, scopes: row.scopes } : null;
    this.remember(id, { principal, secretHash: storedHash, expiresAt: this.now() + this.cacheTtlMs });
    if (!principal || !digestsEqual(sha256(secret), storedHash)) return null;
    this.touch(id);
    return principal;
  }

  /**
   * What can be told without the database: the integration token, a malformed credential
   * (null), or a key whose row was read in the last `cacheTtlMs` (its principal, or null for a
   * wrong secret or a revoked or unknown key). Undefined: the key's row must be read.
   */
  authenticateFromMemory(credential: string): Principal | null | undefined {
    if (this.isIntegrationToken?.(credential)) {
      return { kind: 'integration-token', id: 'integration-token', scopes: [] };
    }
    const match = KEY_FORMAT.exec(credential);
    if (!match) return null;
    const [, id, secret] = match as unknown as [string, string, string];
    const cached = this.cache.get(id);
    if (!cached || cached.expiresAt <= this.now()) return undefined;
    if (!cached.principal || !digestsEqual(sha256(secret), cached.secretHash)) return null;
    this.touch(id);
    return cached.principal;
  }

  /** Bounded: past MAX_CACHE the oldest entry goes (Map keeps insertion order), not every valid key at once. */
  private remember(id: string, entry: CacheEntry): void {
    this.cache.delete(id);
    if (this.cache.size >= MAX_CACHE) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, entry);
  }

  /** Records last use without making the request wait for the write. */
  private touch(id: string): void {
    const now = this.now();
    if (now - (this.lastTouched.get(id) ?? 0) < this.touchIntervalMs) return;
    this.lastTouched.delete(id);
    if (this.lastTouched.size >= MAX_CACHE) this.lastTouched.delete(this.lastTouched.keys().next().value!);
    this.lastTouched.set(id, now);
    this.db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]).catch(() => this.lastTouched.delete(id));
  }
}
