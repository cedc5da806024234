import { EventEmitter } from 'node:events';
import type { Db } from '../../common/db';
import { NotFoundError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { AttemptInfo, BudgetScope, Caller, CostLedger, SpendRow } from './cost-ledger';
import type { BudgetView } from './smart-router';

/** Share of a budget at which the soft alert fires. */
export const SOFT_ALERT_RATIO = 0.8;

export interface BudgetAlert {
  scope: string;
  month: string;
  level: 'soft' | 'hard';
  spentUsd: number;
  limitUsd: number;
}

/** A priced attempt the ledger has booked, with the totals of the budgets it counted against. */
export interface AiCallRecorded {
  month: string;
  provider: string;
  model: string;
  taskType?: string;
  caller: Caller;
  costUsd: number;
  /** The scopes whose totals the call changed, as they stand after it (empty for a zero-cost call). */
  scopes: ScopeStatus[];
}

/** Typed events of the AI router (the WebSocket hub forwards them to dashboards). */
export interface AiRouterEvents {
  'budget.alert': [BudgetAlert];
  'call.recorded': [AiCallRecorded];
}

export interface ScopeStatus {
  scope: string;
  limitUsd: number | null;
  spentUsd: number;
  reservedUsd: number;
  remainingUsd: number | null;
  usedPercent: number | null;
  state: 'ok' | 'soft-alert' | 'exhausted' | 'unlimited';
}

function scopeStatus(scope: string, limitUsd: number | null, row: SpendRow | undefined): ScopeStatus {
  const spentUsd = row?.spentUsd ?? 0;
  const reservedUsd = row?.reservedUsd ?? 0;
  if (limitUsd === null) return { scope, limitUsd, spentUsd, reservedUsd, remainingUsd: null, usedPercent: null, state: 'unlimited' };
  const usedPercent = limitUsd > 0 ? (100 * spentUsd) / limitUsd : 100;
  const state = spentUsd >= limitUsd ? 'exhausted' : spentUsd >= SOFT_ALERT_RATIO * limitUsd ? 'soft-alert' : 'ok';
  return { scope, limitUsd, spentUsd, reservedUsd, remainingUsd: Math.max(0, limitUsd - spentUsd - reservedUsd), usedPercent, state };
}

/** First day of `now`'s month in UTC, as YYYY-MM-DD: budgets reset when it changes. */
export const utcMonth = (now: Date): string => `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;

/**
 * Monthly budgets: the global one (AI_ROUTER_MONTHLY_BUDGET) and optional per-key ones,
 * read against the ledger's month-to-date totals. A limit of 0 allows zero-cost models only.
 */
export class BudgetService extends EventEmitter<AiRouterEvents> {
  constructor(
    private readonly db: Db,
    private readonly ledger: CostLedger,
    private readonly globalLimitUsd: number,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {
    super();
  }

  month(): string {
    return utcMonth(this.clock());
  }

  /** The scopes a caller's calls count against, with their limits. */
  async scopesFor(caller: Caller): Promise<BudgetScope[]> {
    const scopes: BudgetScope[] = [{ scope: 'global', limitUsd: this.globalLimitUsd }];
    if (caller.keyId) scopes.push({ scope: `key:${caller.keyId}`, limitUsd: await this.keyLimit(caller.keyId) });
    return scopes;
  }

  async keyLimit(keyId: string): Promise<number | null> {
    const [row] = await this.db.query<{ monthly_usd: string }>('SELECT monthly_usd FROM ai_key_budgets WHERE key_id = $1', [keyId]);
    return row ? Number(row.monthly_usd) : null;
  }

  async setKeyLimit(keyId: string, monthlyUsd: number | null): Promise<void> {
    if (monthlyUsd === null) {
      await this.db.query('DELETE FROM ai_key_budgets WHERE key_id = $1', [keyId]);
      return;
    }
    try {
      await this.db.query(
        `INSERT INTO ai_key_budgets (key_id, monthly_usd) VALUES ($1, $2)
         ON CONFLICT (key_id) DO UPDATE SET monthly_usd = EXCLUDED.monthly_usd, updated_at = now()`,
        [keyId, monthlyUsd],
      );
    } catch (err) {
      // foreign_key_violation: no API key has this id.
      if ((err as { code?: string }).code === '23503') throw new NotFoundError(`No API key ${keyId}`, { issues: [{ field: 'params.keyId', message: 'is not an API key id' }] }, 'API_KEY_NOT_FOUND');
      throw err;
    }
  }

  async status(scopes: readonly BudgetScope[]): Promise<ScopeStatus[]> {
    const spend = new Map((await this.ledger.spend(scopes.map((s) => s.scope), this.month())).map((r) => [r.scope, r]));
    return scopes.map(({ scope, limitUsd }) => scopeStatus(scope, limitUsd, spend.get(scope)));
  }

  /** After a priced attempt was booked: tells listeners (the WebSocket hub's costs channel) without another query. */
  announceCall(info: AttemptInfo, scopes: readonly BudgetScope[], rows: readonly SpendRow[], costUsd: number): void {
    if (this.listenerCount('call.recorded') === 0) return;
    const limits = new Map(scopes.map((s) => [s.scope, s.limitUsd]));
    try {
      this.emit('call.recorded', {
        month: info.month,
        provider: info.provider,
        model: info.modelKey,
        ...(info.taskType ? { taskType: info.taskType } : {}),
        caller: info.caller,
        costUsd,
        scopes: rows.map((row) => scopeStatus(row.scope, limits.get(row.scope) ?? null, row)),
      });
    } catch (err) {
      // The call is booked and answered either way: a listener's failure is not the caller's.
      this.logger.warn('AI call listener failed', { reason: (err as Error).message });
    }
  }

  /** What the router may spend on one call now: the tightest limited scope decides. */
  async view(scopes: readonly BudgetScope[]): Promise<BudgetView> {
    let tightest: BudgetView = { remainingUsd: null, exhausted: false, scope: 'global' };
    for (const s of await this.status(scopes)) {
      if (s.remainingUsd === null) continue;
      if (s.state === 'exhausted') return { remainingUsd: 0, exhausted: true, scope: s.scope };
      if (tightest.remainingUsd === null || s.remainingUsd < tightest.remainingUsd) tightest = { remainingUsd: s.remainingUsd, exhausted: false, scope: s.scope };
    }
    return tightest;
  }

  /** After a settled call: fires each scope's soft (80 %) and hard (100 %) alert once per month, across instances. */
  async checkAlerts(scopes: readonly BudgetScope[], rows: readonly SpendRow[]): Promise<void> {
    const month = this.month();
    for (const row of rows) {
      const limitUsd = scopes.find((s) => s.scope === row.scope)?.limitUsd;
      if (limitUsd === null || limitUsd === undefined) continue;
      const levels: Array<'soft' | 'hard'> = [];
      if (!row.alertedSoft && row.spentUsd >= SOFT_ALERT_RATIO * limitUsd) levels.push('soft');
      if (!row.alertedHard && row.spentUsd >= limitUsd) levels.push('hard');
      for (const level of levels) {
        if (!(await this.ledger.markAlerted(row.scope, month, level))) continue;
        const alert: BudgetAlert = { scope: row.scope, month, level, spentUsd: row.spentUsd, limitUsd };
        this.logger.warn(level === 'soft' ? 'AI budget at 80 %' : 'AI budget used up: only zero-cost models are routed', { ...alert });
        this.emit('budget.alert', alert);
      }
    }
  }
}
