import { z } from 'zod';
import { AppError } from '../../common/errors';
import type { ModuleRouter } from '../dawg-client';
import type { Finding } from './signals';

/**
 * The DAWG's monitoring rules (devops.configure-monitoring), evaluated: the alerts that fire
 * and the SLOs that breach. `undefined` when the DAWG has no such action (nothing to watch);
 * throws when it cannot tell, so the suggestions already raised stay until it can.
 */
export interface MonitoringSource {
  evaluate(): Promise<MonitoringReading | undefined>;
}

const alertSchema = z.object({
  name: z.string(),
  state: z.enum(['ok', 'pending', 'firing', 'no-data']),
  severity: z.enum(['info', 'warning', 'critical']),
  // JSON has no Infinity: the DAWG sends it as text.
  value: z.union([z.number(), z.enum(['+Inf', '-Inf'])]).nullable(),
  op: z.string(),
  threshold: z.number(),
  for: z.number(),
  pendingSince: z.string().nullable(),
  firingSince: z.string().nullable(),
  description: z.string().optional(),
});

const sloSchema = z.object({
  name: z.string(),
  status: z.enum(['ok', 'breaching', 'no-events', 'no-data']),
  objective: z.number(),
  window: z.string(),
  sli: z.number().nullable(),
  good: z.number(),
  total: z.number(),
  errorBudgetRemaining: z.number().nullable(),
  burnRate: z.number().nullable(),
  period: z.object({ start: z.string().nullable() }),
  description: z.string().optional(),
});

const readingSchema = z.object({ evaluatedAt: z.string(), alerts: z.array(alertSchema), slos: z.array(sloSchema) });
export type MonitoringReading = z.infer<typeof readingSchema>;

/**
 * Evaluates every rule through the ModuleRouter, as `system`; bounded by the router's timeout.
 * An evaluation up to half an interval old is taken as it is, so however many control planes
 * read, the rules are evaluated about twice an interval at most (rates span that much).
 */
export function dawgMonitoring(router: Pick<ModuleRouter, 'execute'>, intervalMs: number): MonitoringSource {
  const maxAgeSeconds = Math.min(3600, Math.max(1, Math.floor(intervalMs / 2000)));
  return {
    async evaluate() {
      try {
        const { result } = await router.execute({ module: 'devops', action: 'configure-monitoring', params: { operation: 'evaluate', maxAgeSeconds } }, { actor: 'system' });
        return readingSchema.parse(result);
      } catch (err) {
        if (err instanceof AppError && (err.code === 'UNKNOWN_MODULE' || err.code === 'UNKNOWN_ACTION')) return undefined;
        throw err;
      }
    },
  };
}

const percent = (v: number) => `${+(v * 100).toFixed(3)} %`;

/** A suggestion per firing alert and per breaching SLO, for admins (monitoring rules are the devops team's). */
export function monitoringFindings(reading: MonitoringReading | undefined): Finding[] {
  if (!reading) return [];
  const findings: Finding[] = [];
  for (const a of reading.alerts) {
    if (a.state !== 'firing') continue;
    findings.push({
      key: `monitoring:${a.name}`,
      kind: 'monitoring',
      severity: a.severity,
      title: `Alert ${a.name} is firing`,
      message: `Its value ${a.value ?? 'unknown'} is ${a.op} ${a.threshold} since ${a.firingSince ?? a.pendingSince ?? reading.evaluatedAt}${a.description ? `: ${a.description}` : ''}.`,
      action: 'Look at the metrics (GET /metrics) and the logs (devops.query-logs); change or delete the rule with devops.configure-monitoring (update-alert, delete).',
      signal: { rule: a.name, type: 'alert', state: a.state, value: a.value, op: a.op, threshold: a.threshold, forSeconds: a.for, pendingSince: a.pendingSince, firingSince: a.firingSince, evaluatedAt: reading.evaluatedAt },
      // The value moves with every evaluation; news is a new firing or another severity.
      material: [a.firingSince],
      audience: {},
    });
  }
  for (const s of reading.slos) {
    if (s.status !== 'breaching') continue;
    findings.push({
      key: `monitoring:${s.name}`,
      kind: 'monitoring',
      severity: 'critical',
      title: `SLO ${s.name} is below its objective`,
      message: `${s.good} of ${s.total} events were good since ${s.period.start ?? 'the period began'} (SLI ${s.sli === null ? 'unknown' : percent(s.sli)}, objective ${s.objective} % over ${s.window}): the error budget is spent${s.description ? `. ${s.description}` : ''}.`,
      action: 'Find what fails (devops.query-logs, GET /metrics) before more of the window passes; the SLO recovers only as good events outnumber the bad.',
      signal: { rule: s.name, type: 'slo', status: s.status, sli: s.sli, objective: s.objective, window: s.window, good: s.good, total: s.total, errorBudgetRemaining: s.errorBudgetRemaining, burnRate: s.burnRate, periodStart: s.period.start, evaluatedAt: reading.evaluatedAt },
      material: [s.period.start],
      audience: {},
    });
  }
  return findings;
}
