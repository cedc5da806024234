import type { Db } from '../../common/db';
import { utcMonth, type BudgetService, type ProviderBreakers } from '../ai-router';
import type { ModuleRouter } from '../dawg-client';
import { monitoringFindings, type MonitoringSource } from './monitoring-signal';

export const SUGGESTION_KINDS = ['budget-burn', 'task-failures', 'approval-expiring', 'breaker-open', 'schedule-idle', 'monitoring'] as const;
export type SuggestionKind = (typeof SUGGESTION_KINDS)[number];
/** From least to most severe. */
export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Who may see a suggestion: admins always; a key when it is about that key's own work or budget. */
export interface Audience {
  keyId?: string;
}

/** A suggestion as a signal produces it; the engine adds ids, times and dismissals. */
export interface Finding {
  /** Stable for its subject (e.g. task-failures:DevOpsEngineer.deploy-service:key_1): raised once while the signal lasts. */
  key: string;
  kind: SuggestionKind;
  severity: Severity;
  title: string;
  message: string;
  /** What to do about it. */
  action: string;
  /** The measured signal that caused it. */
  signal: Record<string, unknown>;
  /**
   * The figures whose change is news (pushed as `suggestion.updated`). Figures that move only
   * with the clock (seconds left, minutes overdue) are refreshed in the list without a push.
   */
  material: unknown[];
  audience: Audience;
}

export interface SignalThresholds {
  /** Failures of one capability (per key) within failureWindowMs that make a suggestion. */
  failureThreshold: number;
  failureWindowMs: number;
  /** A pending approval expiring within this is flagged. */
  approvalWarnMs: number;
  /** An enabled schedule whose next slot is this far in the past is not firing. */
  scheduleGraceMs: number;
  /** Days of spend the burn rate is measured over (within the month). */
  burnWindowDays: number;
}

export interface SignalSources {
  db: Db;
  budgets?: Pick<BudgetService, 'scopesFor' | 'status'>;
  dawg?: Pick<ModuleRouter, 'breakerState' | 'breakerOpenedAt'>;
  providerBreakers?: Pick<ProviderBreakers, 'openProviders'>;
  /** The DAWG's alert rules and SLOs, evaluated at each reading. */
  monitoring?: MonitoringSource;
  agents: boolean;
  firewall: boolean;
}

const DAY_MS = 86_400_000;
const usd = (v: number) => `$${v.toFixed(2)}`;
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Where the burn-rate window starts: `burnWindowDays` ago, or at the ledger's first entry when
 * the ledger is younger. The window crosses the start of the month on purpose: last week's
 * spend is the best guess of this week's, and a window clipped to the month would turn the
 * first hour's calls × 720 into a false alarm on every 1st.
 */
async function burnWindowStart(src: SignalSources, t: SignalThresholds, now: Date): Promise<Date> {
  const weekAgo = now.getTime() - t.burnWindowDays * DAY_MS;
  // (month, created_at) is indexed, and month follows created_at: the first row is the oldest.
  const [first] = await src.db.query<{ created_at: Date | string }>('SELECT created_at FROM ai_ledger ORDER BY month, created_at LIMIT 1');
  return new Date(first ? Math.max(weekAgo, new Date(first.created_at).getTime()) : weekAgo);
}

/**
 * Budget burn: projected = spent this month + rate × days left in the month, where rate =
 * settled spend in the window (see burnWindowStart) ÷ the window's length in days, at least
 * one day. Raised when the projection passes a scope's limit; says the day the limit would be
 * reached at that rate.
 */
async function budgetBurn(src: SignalSources, t: SignalThresholds, now: Date): Promise<Finding[]> {
  if (!src.budgets) return [];
  const monthStart = new Date(`${utcMonth(now)}T00:00:00.000Z`);
  const monthEnd = new Date(Date.UTC(monthStart.getUTCFullYear(), monthStart.getUTCMonth() + 1, 1));
  const windowStart = await burnWindowStart(src, t, now);
  const windowDays = Math.max(1, (now.getTime() - windowStart.getTime()) / DAY_MS);
  const keyBudgets = await src.db.query<{ key_id: string; monthly_usd: string }>('SELECT key_id, monthly_usd FROM ai_key_budgets');
  const scopes = [...(await src.budgets.scopesFor({})), ...keyBudgets.map((k) => ({ scope: `key:${k.key_id}`, limitUsd: Number(k.monthly_usd) }))];
  const statuses = await src.budgets.status(scopes);
  // Pending rows hold a reservation (an upper bound), not spend: only settled calls count.
  const recent = await src.db.query<{ key_id: string | null; usd: string }>(
    `SELECT caller_key_id AS key_id, coalesce(sum(cost_usd), 0) AS usd FROM ai_ledger
     WHERE month >= $1 AND created_at >= $2 AND created_at <= $3 AND outcome <> 'pending' GROUP BY caller_key_id`,
    [utcMonth(windowStart), windowStart, now],
  );
  const findings: Finding[] = [];
  for (const s of statuses) {
    if (s.limitUsd === null || s.limitUsd <= 0) continue;
    const keyId = s.scope.startsWith('key:') ? s.scope.slice(4) : undefined;
    const windowUsd = recent.filter((r) => keyId === undefined || r.key_id === keyId).reduce((sum, r) => sum + Number(r.usd), 0);
    const ratePerDay = windowUsd / windowDays;
    const daysLeft = (monthEnd.getTime() - now.getTime()) / DAY_MS;
    const projected = s.spentUsd + ratePerDay * daysLeft;
    if (projected <= s.limitUsd) continue;
    const runsOutAt = ratePerDay > 0 ? new Date(now.getTime() + (Math.max(0, s.limitUsd - s.spentUsd) / ratePerDay) * DAY_MS) : now;
    const who = keyId ? `key ${keyId}'s` : 'the global';
    findings.push({
      key: `budget-burn:${s.scope}`,
      kind: 'budget-burn',
      severity: s.spentUsd >= s.limitUsd ? 'critical' : 'warning',
      title: `AI spend is on course to pass ${who} budget`,
      message: `${usd(s.spentUsd)} of ${usd(s.limitUsd)} spent this month; at ${usd(ratePerDay)}/day (last ${windowDays.toFixed(1)} days) the month ends at ${usd(projected)}, and the budget runs out on ${isoDay(runsOutAt)}.`,
      action: 'Route more work to cheaper models (strategy cost), lower the traffic, or raise the budget.',
      signal: { scope: s.scope, spentUsd: +s.spentUsd.toFixed(4), limitUsd: s.limitUsd, ratePerDayUsd: +ratePerDay.toFixed(4), windowDays: +windowDays.toFixed(2), projectedUsd: +projected.toFixed(2), runsOutAt: runsOutAt.toISOString(), monthEnd: monthEnd.toISOString() },
      material: [s.spentUsd.toFixed(2), s.limitUsd, isoDay(runsOutAt)],
      audience: keyId ? { keyId } : {},
    });
  }
  return findings;
}

/** Repeated failures of one capability queued by one key within the window. */
async function taskFailures(src: SignalSources, t: SignalThresholds, now: Date): Promise<Finding[]> {
  if (!src.agents) return [];
  const rows = await src.db.query<{ agent: string; task_type: string; created_by: string | null; n: string; ids: string[]; codes: Array<string | null>; last_message: string | null; last_at: Date | string }>(
    `SELECT agent, task_type, created_by, count(*) AS n,
            (array_agg(id ORDER BY finished_at DESC))[1:5] AS ids,
            (array_agg(error->>'code' ORDER BY finished_at DESC))[1:5] AS codes,
            (array_agg(error->>'message' ORDER BY finished_at DESC))[1] AS last_message,
            max(finished_at) AS last_at
     FROM tasks WHERE status = 'failed' AND finished_at > $1 AND finished_at <= $2
     GROUP BY agent, task_type, created_by HAVING count(*) >= $3`,
    [new Date(now.getTime() - t.failureWindowMs), now, t.failureThreshold],
  );
  return rows.map((r) => {
    const signal = {
      agent: r.agent,
      taskType: r.task_type,
      failures: Number(r.n),
      windowMinutes: Math.round(t.failureWindowMs / 60_000),
      errorCodes: [...new Set(r.codes.filter((c): c is string => c !== null))],
      taskIds: r.ids,
      lastFailedAt: new Date(r.last_at).toISOString(),
      ...(r.created_by ? { keyId: r.created_by } : {}),
    };
    return {
      key: `task-failures:${r.agent}.${r.task_type}:${r.created_by ?? 'system'}`,
      kind: 'task-failures' as const,
      severity: 'warning' as const,
      title: `${r.agent}.${r.task_type} failed ${r.n} times in ${Math.round(t.failureWindowMs / 60_000)} minutes`,
      message: `Last error: ${(r.last_message ?? 'unknown').slice(0, 300)}`,
      action: 'Look at the failed tasks (GET /integrations/chatgpt/jobs/<id>) before queueing more of them.',
      signal,
      material: [signal],
      audience: r.created_by ? { keyId: r.created_by } : {},
    };
  });
}

function commandLine(command: string, args: readonly string[]): string {
  const line = [command, ...args].join(' ');
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Pending command approvals that expire (as denied) within the warning time. */
async function approvalsExpiring(src: SignalSources, t: SignalThresholds, now: Date): Promise<Finding[]> {
  if (!src.firewall) return [];
  const rows = await src.db.query<{ id: string; command: string; args: string[]; requested_by: string; expires_at: Date | string }>(
    `SELECT id, command, args, requested_by, expires_at FROM command_approvals WHERE status = 'pending' AND expires_at > $1 AND expires_at <= $2 ORDER BY expires_at`,
    [now, new Date(now.getTime() + t.approvalWarnMs)],
  );
  return rows.map((r) => {
    const expiresAt = new Date(r.expires_at);
    const seconds = Math.round((expiresAt.getTime() - now.getTime()) / 1000);
    return {
      key: `approval-expiring:${r.id}`,
      kind: 'approval-expiring' as const,
      severity: 'warning' as const,
      title: `The approval to run ${r.command} is about to expire`,
      message: `${r.requested_by} asked to run \`${commandLine(r.command, r.args)}\`; unless an admin decides, it is denied at ${expiresAt.toISOString()}.`,
      action: `Approve or deny it: POST /api/v1/approvals/${r.id}/approve or /deny (admin key).`,
      signal: { approvalId: r.id, command: r.command, requestedBy: r.requested_by, expiresAt: expiresAt.toISOString(), secondsLeft: seconds },
      material: [expiresAt.toISOString()],
      audience: {},
    };
  });
}

/** The AI DAWG's circuit breaker and the AI providers' breakers, when open on this instance. */
function breakersOpen(src: SignalSources): Finding[] {
  const findings: Finding[] = [];
  const dawg = src.dawg?.breakerState;
  if (dawg && dawg !== 'closed') {
    const openedAt = src.dawg?.breakerOpenedAt;
    const since = openedAt === undefined ? undefined : new Date(openedAt).toISOString();
    findings.push({
      key: 'breaker-open:ai-dawg',
      kind: 'breaker-open',
      severity: 'critical',
      title: `The AI DAWG circuit breaker is ${dawg}`,
      message: `${since ? `Since ${since}, c` : 'C'}alls to the AI DAWG fail fast (503 DAWG_UNAVAILABLE) until a probe gets through.`,
      action: 'Check the AI DAWG process and GET /health/detailed; tasks that need it are retried with backoff.',
      signal: { breaker: 'ai-dawg', state: dawg, ...(since ? { openedAt: since } : {}) },
      material: [dawg, since],
      audience: {},
    });
  }
  for (const p of src.providerBreakers?.openProviders() ?? []) {
    findings.push({
      key: `breaker-open:provider:${p.provider}`,
      kind: 'breaker-open',
      severity: 'warning',
      title: `The ${p.provider} breaker is open`,
      message: `Since ${new Date(p.openedAt).toISOString()}, calls to ${p.provider} are skipped (the router falls back to other models); the next probe is at ${new Date(p.retryAt).toISOString()}.`,
      action: `Check ${p.provider}'s status and the key's quota; GET /api/v1/ai/costs shows where the calls went instead.`,
      signal: { breaker: `provider:${p.provider}`, state: 'open', openedAt: new Date(p.openedAt).toISOString(), retryAt: new Date(p.retryAt).toISOString() },
      material: [p.openedAt, p.retryAt],
      audience: {},
    });
  }
  return findings;
}

/** Enabled schedules whose slot passed long ago without firing, or whose last run failed. */
async function idleSchedules(src: SignalSources, t: SignalThresholds, now: Date): Promise<Finding[]> {
  if (!src.agents) return [];
  const rows = await src.db.query<{ id: string; name: string; cron: string; timezone: string; next_run_at: Date | string; last_run_at: Date | string | null; last_task_id: string | null; last_status: string | null; created_by: string | null }>(
    `SELECT s.id, s.name, s.cron, s.timezone, s.next_run_at, s.last_run_at, s.last_task_id, t.status AS last_status, s.created_by
     FROM task_schedules s LEFT JOIN tasks t ON t.id = s.last_task_id
     WHERE s.enabled AND (s.next_run_at < $1 OR t.status IN ('failed', 'cancelled'))`,
    [new Date(now.getTime() - t.scheduleGraceMs)],
  );
  return rows.map((r) => {
    const next = new Date(r.next_run_at);
    const overdue = next.getTime() < now.getTime() - t.scheduleGraceMs;
    const base = { scheduleId: r.id, name: r.name, cron: r.cron, timezone: r.timezone, nextRunAt: next.toISOString(), lastRunAt: r.last_run_at ? new Date(r.last_run_at).toISOString() : null, lastTaskId: r.last_task_id, lastTaskStatus: r.last_status };
    const material = [overdue, base.nextRunAt, r.last_task_id, r.last_status];
    return overdue
      ? {
          key: `schedule-idle:${r.id}`,
          kind: 'schedule-idle' as const,
          severity: 'warning' as const,
          title: `Schedule ${r.name} is not firing`,
          message: `Its slot of ${next.toISOString()} passed ${Math.round((now.getTime() - next.getTime()) / 60_000)} minutes ago without a run: no control plane with the agent system is taking its slots.`,
          action: 'Start a control plane with ENABLE_AGENT_SYSTEM=true, or disable the schedule.',
          signal: { ...base, overdueMinutes: Math.round((now.getTime() - next.getTime()) / 60_000) },
          material,
          audience: r.created_by ? { keyId: r.created_by } : {},
        }
      : {
          key: `schedule-idle:${r.id}`,
          kind: 'schedule-idle' as const,
          severity: 'info' as const,
          title: `Schedule ${r.name}'s last run ${r.last_status}`,
          message: `Its last task (${r.last_task_id}) ${r.last_status}; the next one runs at ${next.toISOString()} and may do the same.`,
          action: `Look at the task (GET /integrations/chatgpt/jobs/${r.last_task_id}) or disable the schedule.`,
          signal: base,
          material,
          audience: r.created_by ? { keyId: r.created_by } : {},
        };
  });
}

export interface Reading {
  findings: Finding[];
  /** Kinds whose signal could not be read this time (the AI DAWG did not answer): their suggestions stay as they were. */
  unread: Array<{ kind: SuggestionKind; reason: string }>;
}

/** Every signal's findings at `now`. */
export async function collectFindings(src: SignalSources, t: SignalThresholds, now: Date): Promise<Reading> {
  const [found, monitoring] = await Promise.all([
    Promise.all([budgetBurn(src, t, now), taskFailures(src, t, now), approvalsExpiring(src, t, now), idleSchedules(src, t, now)]),
    src.monitoring?.evaluate().then(
      (reading) => ({ findings: monitoringFindings(reading) }),
      (err: unknown) => ({ failed: (err as Error).message }),
    ),
  ]);
  const findings = [...found.flat(), ...breakersOpen(src)];
  if (!monitoring) return { findings, unread: [] };
  if ('failed' in monitoring) return { findings, unread: [{ kind: 'monitoring', reason: monitoring.failed }] };
  return { findings: [...findings, ...monitoring.findings], unread: [] };
}
