import { z } from 'zod';
import { AppError } from '../../../common/errors';
import type { ControlPlaneClient } from '../../control-plane/types';
import { defineAction } from '../../sdk';
import { callerOf } from './deploy/deploy-service.action';

export const costReportParams = z.strictObject({
  lookbackDays: z.number().int().min(1).max(365).default(30),
  groupBy: z.enum(['service', 'region', 'usage-type', 'account']).default('service'),
  metric: z.enum(['UnblendedCost', 'AmortizedCost', 'BlendedCost', 'NetUnblendedCost']).default('UnblendedCost'),
});
type Params = z.output<typeof costReportParams>;

const DIMENSION: Record<Params['groupBy'], string> = { service: 'SERVICE', region: 'REGION', 'usage-type': 'USAGE_TYPE', account: 'LINKED_ACCOUNT' };

/** The parts of Cost Explorer's GetCostAndUsage answer we read (AWS documents the rest). */
const amount = z.object({ Amount: z.string(), Unit: z.string() });
const ceAnswer = z.object({
  ResultsByTime: z.array(
    z.object({
      TimePeriod: z.object({ Start: z.string(), End: z.string() }),
      Groups: z.array(z.object({ Keys: z.array(z.string()), Metrics: z.record(z.string(), amount) })).default([]),
      Estimated: z.boolean().optional(),
    }),
  ),
});

const day = (d: Date) => d.toISOString().slice(0, 10);
const { round } = Math;
const cents = (n: number) => round(n * 100) / 100;

/** Least-squares slope of y over 0..n-1: the trend per day. */
function slope(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (ys[i]! - meanY);
    den += (i - meanX) ** 2;
  }
  return num / den;
}

/** Builds the report from Cost Explorer's answer: totals per group, daily series, trend and change between the halves of the period. */
export function summariseCosts(raw: unknown, metric: Params['metric']) {
  const parsed = ceAnswer.safeParse(raw);
  if (!parsed.success) throw new AppError(502, 'COST_REPORT_BAD_OUTPUT', 'aws ce get-cost-and-usage printed an answer without ResultsByTime');
  const days = parsed.data.ResultsByTime;
  const units = new Set<string>();
  const groups = new Map<string, number[]>();
  days.forEach((d, i) => {
    for (const g of d.Groups) {
      const m = g.Metrics[metric];
      if (!m) continue;
      units.add(m.Unit);
      const key = g.Keys.join(' / ');
      const series = groups.get(key) ?? new Array<number>(days.length).fill(0);
      series[i]! += Number(m.Amount);
      groups.set(key, series);
    }
  });
  if (units.size > 1) throw new AppError(502, 'COST_REPORT_MIXED_CURRENCY', `Cost Explorer answered in several currencies: ${[...units].join(', ')}`);
  const total = [...groups.values()].reduce((sum, s) => sum + s.reduce((a, b) => a + b, 0), 0);
  const half = Math.floor(days.length / 2);
  const byGroup = [...groups.entries()]
    .map(([key, series]) => {
      const sum = series.reduce((a, b) => a + b, 0);
      const first = series.slice(0, half).reduce((a, b) => a + b, 0);
      const second = series.slice(half).reduce((a, b) => a + b, 0);
      return {
        key,
        amount: cents(sum),
        share: total > 0 ? round((sum / total) * 1000) / 1000 : 0,
        trendPerDay: cents(slope(series)),
        firstHalf: cents(first),
        secondHalf: cents(second),
        // Per day, so an odd number of days compares like with like.
        changePercent: first > 0 && half > 0 ? round(((second / (days.length - half) - first / half) / (first / half)) * 1000) / 10 : null,
      };
    })
    .sort((a, b) => b.amount - a.amount);
  return {
    currency: [...units][0] ?? null,
    metric,
    total: cents(total),
    estimated: days.some((d) => d.Estimated === true),
    byGroup,
    daily: days.map((d, i) => ({ date: d.TimePeriod.Start, amount: cents([...groups.values()].reduce((sum, s) => sum + s[i]!, 0)) })),
  };
}

/**
 * `cost-report`: the cloud bill from AWS Cost Explorer (`aws ce get-cost-and-usage`, read-only,
 * through the firewall), grouped by service, region, usage type or account, with each group's
 * share, daily trend and change over the period.
 */
export function createCostReportAction(deps: { controlPlane: Pick<ControlPlaneClient, 'runCommand'>; now?: () => Date }) {
  return defineAction({
    description: 'Cloud costs from AWS Cost Explorer (through the terminal firewall): totals by service/region/usage type/account, share, daily trend and change over the period',
    params: costReportParams,
    async handler(p, ctx) {
      const caller = callerOf(ctx);
      const end = deps.now?.() ?? new Date();
      const start = new Date(end.getTime() - p.lookbackDays * 86_400_000);
      const args = ['ce', 'get-cost-and-usage', '--time-period', `Start=${day(start)},End=${day(end)}`, '--granularity', 'DAILY', '--metrics', p.metric, '--group-by', `Type=DIMENSION,Key=${DIMENSION[p.groupBy]}`, '--output', 'json'];
      const outcome = await deps.controlPlane.runCommand({ command: 'aws', args }, caller);
      if (outcome.status === 'pending-approval') {
        return { status: 'pending-approval' as const, approvalId: outcome.approval.id, next: `An admin decides at POST /api/v1/approvals/${outcome.approval.id}/approve; the output lands on the approval` };
      }
      const r = outcome.result;
      if (r.exitCode !== 0 || r.timedOut) {
        throw new AppError(502, 'COST_REPORT_FAILED', `aws ce get-cost-and-usage ${r.timedOut ? 'timed out' : `exited with code ${r.exitCode}`}`, { stderr: r.stderr.slice(-2_000) });
      }
      if (r.truncated) throw new AppError(502, 'COST_REPORT_TRUNCATED', 'The Cost Explorer answer exceeded the firewall\'s output limit; shorten lookbackDays or group more coarsely');
      let raw: unknown;
      try {
        raw = JSON.parse(r.stdout);
      } catch {
        throw new AppError(502, 'COST_REPORT_BAD_OUTPUT', 'aws ce get-cost-and-usage did not print JSON');
      }
      return { status: 'finished' as const, source: 'aws-cost-explorer', period: { start: day(start), end: day(end), days: p.lookbackDays }, groupBy: p.groupBy, ...summariseCosts(raw, p.metric) };
    },
  });
}
