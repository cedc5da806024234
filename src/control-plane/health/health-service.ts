import type { Db } from '../../common/db';
import type { Kv } from '../../common/kv';
import type { DawgProbe, ModuleRouter } from '../dawg-client';

export interface CheckStatus {
  status: 'ok' | 'down' | 'disabled';
  latencyMs: number;
  [detail: string]: unknown;
}

export interface DetailedHealth {
  status: 'ok' | 'degraded' | 'down';
  checks: { database: CheckStatus; redis: CheckStatus; dawg: CheckStatus };
}

const CHECK_TIMEOUT_MS = 1_000;

async function timed(check: () => Promise<void>): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (err) {
    return { ok: false, latencyMs: Math.round((performance.now() - started) * 100) / 100, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Aggregated health. The database is the system of record, so without it the service is
 * `down`; without Redis or the DAWG it still serves what it can and reports `degraded`.
 */
export class HealthService {
  constructor(
    private readonly db: Db,
    private readonly kv: Kv,
    private readonly dawg: Pick<ModuleRouter, 'probe'>,
  ) {}

  async detailed(): Promise<DetailedHealth> {
    const [database, redis, dawg] = await Promise.all([
      timed(async () => {
        await this.db.query('SELECT 1');
      }),
      this.kv.kind === 'redis' ? timed(() => this.kv.ping()) : undefined,
      this.dawg.probe(CHECK_TIMEOUT_MS),
    ]);
    const checks = {
      database: {
        status: database.ok ? ('ok' as const) : ('down' as const),
        latencyMs: database.latencyMs,
        backend: this.db.kind,
        vector: this.db.vector ? 'pgvector' : 'exact-scan fallback',
        ...(database.error ? { error: database.error } : {}),
      },
      redis: redis
        ? { status: redis.ok ? ('ok' as const) : ('down' as const), latencyMs: redis.latencyMs, ...(redis.error ? { error: redis.error } : {}) }
        : { status: 'disabled' as const, latencyMs: 0, mode: 'in-process (REDIS_URL not set)' },
      dawg: this.dawgCheck(dawg),
    };
    const status = checks.database.status === 'down' ? 'down' : checks.redis.status === 'down' || checks.dawg.status === 'down' ? 'degraded' : 'ok';
    return { status, checks };
  }

  private dawgCheck(probe: DawgProbe): CheckStatus {
    return { status: probe.status, latencyMs: probe.latencyMs, breaker: probe.breaker, ...(probe.error ? { error: probe.error } : {}) };
  }
}
