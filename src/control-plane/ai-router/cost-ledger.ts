import type { Db, Queryable } from '../../common/db';

/** Who a call is for: recorded on every ledger row. */
export interface Caller {
  keyId?: string;
  user?: string;
  agent?: string;
  taskId?: string;
}

export interface AttemptInfo {
  requestId: string;
  attempt: number;
  month: string;
  provider: string;
  modelKey: string;
  model: string;
  strategy?: string;
  taskType?: string;
  caller: Caller;
}

export interface AttemptOutcome {
  outcome: 'ok' | string;
  inputTokens: number;
  outputTokens: number;
  tokensEstimated: boolean;
  costUsd: number;
  latencyMs: number;
  errorMessage?: string;
}

/** A scope the call counts against, with its monthly limit (null: tracked, not limited). */
export interface BudgetScope {
  scope: string;
  limitUsd: number | null;
}

export interface SpendRow {
  scope: string;
  spentUsd: number;
  reservedUsd: number;
  alertedSoft: boolean;
  alertedHard: boolean;
}

export type Reservation = { ok: true; entryId: string | null } | { ok: false; scope: string; remainingUsd: number };

const INSERT_COLUMNS = `request_id, attempt, month, provider, model_key, model, strategy, task_type,
  caller_key_id, caller_user, caller_agent, caller_task_id`;

function attemptParams(a: AttemptInfo): unknown[] {
  return [a.requestId, a.attempt, a.month, a.provider, a.modelKey, a.model, a.strategy ?? null, a.taskType ?? null,
    a.caller.keyId ?? null, a.caller.user ?? null, a.caller.agent ?? null, a.caller.taskId ?? null];
}

/**
 * The AI cost ledger. A priced call first reserves its upper-bound cost in every scope it
 * counts against (a pending ledger row plus `reserved_usd`), in one transaction whose
 * conditional UPDATEs refuse a scope that would go over its limit. Concurrent callers and
 * other instances therefore cannot together overspend; after the call the reservation is
 * replaced by the provider-reported cost. A process that dies mid-call leaves the pending
 * row counted at its upper bound until `settleAbandoned` books it as spent.
 */
export class CostLedger {
  constructor(private readonly db: Db) {}

  async reserve(info: AttemptInfo, scopes: readonly BudgetScope[], estimateUsd: number): Promise<Reservation> {
    if (estimateUsd <= 0) return { ok: true, entryId: null };
    return this.db.transaction(async (tx) => {
      await ensureSpendRows(tx, scopes, info.month);
      // One statement for every scope: a scope missing from RETURNING would go over its limit.
      const reserved = await tx.query<{ scope: string }>(
        `UPDATE ai_spend s SET reserved_usd = s.reserved_usd + $3
           FROM unnest($1::text[], $4::numeric[]) AS l(scope, limit_usd)
          WHERE s.scope = l.scope AND s.month = $2 AND (l.limit_usd IS NULL OR s.spent_usd + s.reserved_usd + $3 <= l.limit_usd)
          RETURNING s.scope`,
        [scopes.map((x) => x.scope), info.month, estimateUsd, scopes.map((x) => x.limitUsd)],
      );
      if (reserved.length < scopes.length) {
        const refused = scopes.find((x) => !reserved.some((r) => r.scope === x.scope))!;
        const [row] = await tx.query<{ left: string }>('SELECT $3::numeric - spent_usd - reserved_usd AS left FROM ai_spend WHERE scope = $1 AND month = $2', [refused.scope, info.month, refused.limitUsd]);
        throw new ReservationRefused(refused.scope, Math.max(0, Number(row?.left ?? 0)));
      }
      const [entry] = await tx.query<{ id: string }>(
        `INSERT INTO ai_ledger (${INSERT_COLUMNS}, cost_usd, outcome) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'pending') RETURNING id::text`,
        [...attemptParams(info), estimateUsd],
      );
      return { ok: true as const, entryId: entry!.id };
    }).catch((err: unknown) => {
      if (err instanceof ReservationRefused) return { ok: false as const, scope: err.scope, remainingUsd: err.remainingUsd };
      throw err;
    });
  }

  /**
   * Books the attempt's real outcome, releasing its reservation; returns the scopes' new
   * totals. One statement either way (atomic without a transaction): the per-call path.
   */
  async settle(info: AttemptInfo, scopes: readonly BudgetScope[], reservation: { entryId: string | null; estimateUsd: number }, out: AttemptOutcome): Promise<SpendRow[]> {
    const values = [out.inputTokens, out.outputTokens, out.tokensEstimated, out.costUsd, out.latencyMs, out.outcome, out.errorMessage?.slice(0, 1_000) ?? null];
    if (reservation.entryId) {
      const rows = await this.db.query<RawSpend>(
        `WITH entry AS (
           UPDATE ai_ledger SET input_tokens = $2, output_tokens = $3, tokens_estimated = $4, cost_usd = $5, latency_ms = $6, outcome = $7, error_message = $8
            WHERE id = $1 RETURNING id)
         UPDATE ai_spend SET reserved_usd = greatest(reserved_usd - $9, 0), spent_usd = spent_usd + $5
          WHERE month = $10 AND scope = ANY($11::text[]) AND EXISTS (SELECT 1 FROM entry)
          RETURNING *`,
        [reservation.entryId, ...values, reservation.estimateUsd, info.month, scopes.map((x) => x.scope)],
      );
      return rows.map(toSpend);
    }
    // Nothing was reserved, so the call was free (its upper bound was 0): only its row.
    await this.db.query(
      `INSERT INTO ai_ledger (${INSERT_COLUMNS}, input_tokens, output_tokens, tokens_estimated, cost_usd, latency_ms, outcome, error_message)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`,
      [...attemptParams(info), ...values],
    );
    return [];
  }

  /** Marks the scopes' soft/hard alert as sent; true only for the one caller that flipped it. */
  async markAlerted(scope: string, month: string, level: 'soft' | 'hard'): Promise<boolean> {
    const column = level === 'soft' ? 'alerted_soft' : 'alerted_hard';
    const rows = await this.db.query(`UPDATE ai_spend SET ${column} = true WHERE scope = $1 AND month = $2 AND NOT ${column} RETURNING scope`, [scope, month]);
    return rows.length === 1;
  }

  async spend(scopes: readonly string[], month: string): Promise<SpendRow[]> {
    const rows = await this.db.query<RawSpend>('SELECT * FROM ai_spend WHERE month = $1 AND scope = ANY($2::text[])', [month, scopes]);
    return rows.map(toSpend);
  }

  /** Totals per day, model or caller over [from, to) (ISO dates or timestamps), settled rows only. */
  async report(groupBy: CostGrouping, from: Date, to: Date): Promise<CostReportRow[]> {
    const rows = await this.db.query<RawReport>(
      `SELECT ${GROUP_EXPRESSIONS[groupBy]} AS key,
              count(*)::int AS calls,
              count(*) FILTER (WHERE outcome <> 'ok')::int AS failed,
              coalesce(sum(input_tokens), 0)::bigint::text AS input_tokens,
              coalesce(sum(output_tokens), 0)::bigint::text AS output_tokens,
              count(*) FILTER (WHERE tokens_estimated)::int AS estimated,
              coalesce(sum(cost_usd), 0)::text AS cost_usd,
              avg(latency_ms) FILTER (WHERE outcome = 'ok') AS avg_latency
         FROM ai_ledger
        WHERE created_at >= $1 AND created_at < $2 AND outcome <> 'pending'
        GROUP BY 1 ORDER BY 1`,
      [from.toISOString(), to.toISOString()],
    );
    return rows.map((r) => ({
      key: r.key,
      calls: r.calls,
      failedCalls: r.failed,
      inputTokens: Number(r.input_tokens),
      outputTokens: Number(r.output_tokens),
      callsWithEstimatedTokens: r.estimated,
      costUsd: Number(r.cost_usd),
      avgLatencyMs: r.avg_latency === null ? null : Math.round(Number(r.avg_latency)),
    }));
  }

  /**
   * Books pending rows older than `olderThanMs` (their process died mid-call) as spent at
   * their upper bound: the provider may have billed the call, and we cannot know.
   */
  async settleAbandoned(olderThanMs: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<{ month: string; caller_key_id: string | null; cost_usd: string }>(
        `UPDATE ai_ledger SET outcome = 'abandoned', error_message = 'the process making this call stopped before it finished'
          WHERE outcome = 'pending' AND created_at < now() - make_interval(secs => $1::double precision / 1000)
          RETURNING to_char(month, 'YYYY-MM-DD') AS month, caller_key_id, cost_usd`,
        [olderThanMs],
      );
      for (const row of rows) {
        const scopes = [{ scope: 'global', limitUsd: null }, ...(row.caller_key_id ? [{ scope: `key:${row.caller_key_id}`, limitUsd: null }] : [])];
        await this.moveSpend(tx, scopes, row.month, Number(row.cost_usd), Number(row.cost_usd));
      }
      return rows.length;
    });
  }

  private async moveSpend(tx: Queryable, scopes: readonly BudgetScope[], month: string, releaseUsd: number, costUsd: number): Promise<SpendRow[]> {
    const rows = await tx.query<RawSpend>(
      `UPDATE ai_spend SET reserved_usd = greatest(reserved_usd - $3, 0), spent_usd = spent_usd + $4
        WHERE month = $2 AND scope = ANY($1::text[]) RETURNING *`,
      [scopes.map((s) => s.scope), month, releaseUsd, costUsd],
    );
    return rows.map(toSpend);
  }
}

export const COST_GROUPINGS = ['day', 'model', 'caller'] as const;
export type CostGrouping = (typeof COST_GROUPINGS)[number];

const GROUP_EXPRESSIONS: Record<CostGrouping, string> = {
  day: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  model: 'model_key',
  caller: `coalesce('agent:' || caller_agent, 'key:' || caller_key_id, 'user:' || caller_user, 'unknown')`,
};

export interface CostReportRow {
  key: string;
  calls: number;
  failedCalls: number;
  inputTokens: number;
  outputTokens: number;
  callsWithEstimatedTokens: number;
  costUsd: number;
  avgLatencyMs: number | null;
}

interface RawReport {
  key: string;
  calls: number;
  failed: number;
  input_tokens: string;
  output_tokens: string;
  estimated: number;
  cost_usd: string;
  avg_latency: string | number | null;
}

class ReservationRefused extends Error {
  constructor(
    readonly scope: string,
    readonly remainingUsd: number,
  ) {
    super(`budget ${scope} refused the reservation`);
  }
}

interface RawSpend {
  scope: string;
  spent_usd: string;
  reserved_usd: string;
  alerted_soft: boolean;
  alerted_hard: boolean;
}

const toSpend = (r: RawSpend): SpendRow => ({
  scope: r.scope,
  spentUsd: Number(r.spent_usd),
  reservedUsd: Number(r.reserved_usd),
  alertedSoft: r.alerted_soft,
  alertedHard: r.alerted_hard,
});

async function ensureSpendRows(tx: Queryable, scopes: readonly BudgetScope[], month: string): Promise<void> {
  await tx.query('INSERT INTO ai_spend (scope, month) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING', [scopes.map((s) => s.scope), month]);
}
