import { AppError, ConflictError, NotFoundError } from '../../../../common/errors';
import type { ControlPlaneClient } from '../../../control-plane/types';
import { defineAction, type ActionContext } from '../../../sdk';
import { evaluateAlert, evaluateSlo, type AlertEvaluation, type SloEvaluation } from './evaluate';
import { MonitoringStore } from './monitoring-store';
import { parsePromText, PromTextError } from './prom-text';
import {
  configureMonitoringParamsSchema,
  MAX_RULES,
  windowSeconds,
  type AlertRule,
  type AlertState,
  type ConfigureMonitoringParams,
  type MonitoringDocument,
  type MonitoringRule,
  type SloRule,
  type SloState,
} from './schema';
import { SampleIndex } from './selector';

export interface ConfigureMonitoringDeps {
  /** Where monitoring.json is kept (the DAWG's data dir). */
  dir: string;
  controlPlane: Pick<ControlPlaneClient, 'metrics'>;
  /** Clock for pending/firing times, rates and SLO periods. */
  now?: () => number;
}

type Definition<R> = Omit<R, 'kind' | 'state'>;
export type AlertView = Definition<AlertRule> & {
  lastEvaluation: { state: AlertState['status']; value: AlertState['value']; pendingSince: string | null; evaluatedAt: string } | null;
};
export type SloView = Definition<SloRule> & {
  windowSeconds: number;
  period: { start: string | null; evaluatedAt: string | null; counterResets: number };
};

export type ConfigureMonitoringResult =
  | { operation: 'create-alert' | 'update-alert'; alert: AlertView }
  | { operation: 'create-slo' | 'update-slo'; slo: SloView }
  | { operation: 'delete'; deleted: { name: string; kind: MonitoringRule['kind'] } }
  | { operation: 'list'; alerts: AlertView[]; slos: SloView[]; limit: number }
  | {
      operation: 'evaluate';
      evaluatedAt: string;
      alerts: AlertEvaluation[];
      slos: SloEvaluation[];
      summary: Record<AlertEvaluation['state'], number>;
      scrape: { series: number } | null;
    };

type Params<O extends ConfigureMonitoringParams['operation']> = Extract<ConfigureMonitoringParams, { operation: O }>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const freshAlertState = (): AlertState => ({ status: 'new', value: null, pendingSinceMs: null, evaluatedAtMs: null, previous: null });
const freshSloState = (): SloState => ({ periodStartMs: null, counted: { good: 0, total: 0 }, memory: null, evaluatedAtMs: null, counterResets: 0 });
const kindName = (kind: MonitoringRule['kind']) => (kind === 'alert' ? 'an alert' : 'an SLO');

function alertView({ kind: _kind, state, ...definition }: AlertRule): AlertView {
  const lastEvaluation =
    state.evaluatedAtMs === null ? null : { state: state.status, value: state.value, pendingSince: iso(state.pendingSinceMs), evaluatedAt: iso(state.evaluatedAtMs)! };
  return { ...definition, lastEvaluation };
}

function sloView({ kind: _kind, state, ...definition }: SloRule): SloView {
  return {
    ...definition,
    windowSeconds: windowSeconds(definition.window)!,
    period: { start: iso(state.periodStartMs), evaluatedAt: iso(state.evaluatedAtMs), counterResets: state.counterResets },
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Whether any of `keys` is in `changes` with a value other than the rule's. */
function changesAny(rule: object, changes: object, keys: readonly string[]): boolean {
  const before = rule as Record<string, unknown>;
  const after = changes as Record<string, unknown>;
  return keys.some((k) => k in after && JSON.stringify(after[k]) !== JSON.stringify(before[k]));
}

function findRule<K extends MonitoringRule['kind']>(doc: MonitoringDocument, name: string, kind: K): { index: number; rule: Extract<MonitoringRule, { kind: K }> } {
  const index = doc.rules.findIndex((r) => r.name === name);
  const rule = doc.rules[index];
  if (!rule) throw new NotFoundError(`No alert or SLO named "${name}"`, { name }, 'MONITORING_RULE_NOT_FOUND');
  if (rule.kind !== kind) throw new NotFoundError(`"${name}" is ${kindName(rule.kind)}, not ${kindName(kind)}: use update-${rule.kind}`, { name, kind: rule.kind }, 'MONITORING_RULE_NOT_FOUND');
  return { index, rule: rule as Extract<MonitoringRule, { kind: K }> };
}

function addRule(doc: MonitoringDocument, rule: MonitoringRule): void {
  const existing = doc.rules.find((r) => r.name === rule.name);
  if (existing) throw new ConflictError(`${existing.kind === 'alert' ? 'An alert' : 'An SLO'} named "${rule.name}" already exists: update or delete it`, { name: rule.name, kind: existing.kind });
  if (doc.rules.length >= MAX_RULES) {
    throw new AppError(409, 'MONITORING_RULE_LIMIT', `At most ${MAX_RULES} alerts and SLOs can be defined: delete one first`, { limit: MAX_RULES });
  }
  doc.rules.push(rule);
}

/** The rules to evaluate: all, or the named ones (404 naming every unknown name). */
function selectRules(doc: MonitoringDocument, names: readonly string[] | undefined): MonitoringRule[] {
  if (!names) return doc.rules;
  const wanted = new Set(names);
  const missing = [...wanted].filter((n) => !doc.rules.some((r) => r.name === n));
  if (missing.length) throw new NotFoundError(`No alert or SLO named ${missing.map((n) => `"${n}"`).join(', ')}`, { missing }, 'MONITORING_RULE_NOT_FOUND');
  return doc.rules.filter((r) => wanted.has(r.name));
}

async function scrape(deps: ConfigureMonitoringDeps, ctx: ActionContext): Promise<SampleIndex> {
  const text = await deps.controlPlane.metrics({ requestId: ctx.requestId, signal: ctx.signal });
  ctx.signal.throwIfAborted();
  try {
    return new SampleIndex(parsePromText(text));
  } catch (err) {
    if (!(err instanceof PromTextError)) throw err;
    throw new AppError(502, 'METRICS_UNPARSEABLE', `The control plane's metrics are not valid Prometheus text: ${err.message}`, { line: err.line }, { cause: err });
  }
}

async function evaluate(params: Params<'evaluate'>, store: MonitoringStore, deps: ConfigureMonitoringDeps, ctx: ActionContext) {
  const now = deps.now ?? Date.now;
  // Unknown names fail before the scrape; the scrape happens outside the store's lock.
  const planned = selectRules(await store.read(), params.names);
  // Nothing to evaluate (the control plane asks every minute): no scrape, no write.
  if (!planned.length) return { operation: 'evaluate' as const, evaluatedAt: iso(now())!, alerts: [], slos: [], summary: { ok: 0, pending: 0, firing: 0, 'no-data': 0 }, scrape: null };
  const index = await scrape(deps, ctx);
  const nowMs = now();
  return store.change((doc) => {
    const alerts: AlertEvaluation[] = [];
    const slos: SloEvaluation[] = [];
    // A rule deleted while the metrics were read is skipped; one updated meanwhile is evaluated as it now is.
    const names = new Set(planned.map((r) => r.name));
    doc.rules = doc.rules.map((rule) => {
      if (!names.has(rule.name)) return rule;
      if (rule.kind === 'alert') {
        const { result, state } = evaluateAlert(rule, index, nowMs);
        alerts.push(result);
        return { ...rule, state };
      }
      const { result, state } = evaluateSlo(rule, index, nowMs);
      slos.push(result);
      return { ...rule, state };
    });
    const summary = { ok: 0, pending: 0, firing: 0, 'no-data': 0 };
    for (const a of alerts) summary[a.state]++;
    return { operation: 'evaluate' as const, evaluatedAt: iso(nowMs)!, alerts, slos, summary, scrape: { series: index.seriesCount } };
  });
}

function updateAlert({ operation, name, ...patch }: Params<'update-alert'>, store: MonitoringStore, stamp: () => string) {
  return store.change((doc) => {
    const { index, rule } = findRule(doc, name, 'alert');
    const changes = withoutUndefined(patch);
    // What was measured against the old condition says nothing about the new one.
    const state = changesAny(rule, changes, ['expr', 'op', 'threshold']) ? freshAlertState() : rule.state;
    const updated: AlertRule = { ...rule, ...changes, updatedAt: stamp(), state };
    doc.rules[index] = updated;
    return { operation, alert: alertView(updated) };
  });
}

function updateSlo({ operation, name, ...patch }: Params<'update-slo'>, store: MonitoringStore, stamp: () => string) {
  return store.change((doc) => {
    const { index, rule } = findRule(doc, name, 'slo');
    const changes = withoutUndefined(patch);
    // Counts of other series cannot continue the old baseline; a new objective or window applies to it as it is.
    const state = changesAny(rule, changes, ['sli']) ? freshSloState() : rule.state;
    const updated: SloRule = { ...rule, ...changes, updatedAt: stamp(), state };
    doc.rules[index] = updated;
    return { operation, slo: sloView(updated) };
  });
}

async function configureMonitoring(params: ConfigureMonitoringParams, deps: ConfigureMonitoringDeps, store: MonitoringStore, ctx: ActionContext): Promise<ConfigureMonitoringResult> {
  const stamp = () => iso((deps.now ?? Date.now)())!;
  switch (params.operation) {
    case 'create-alert': {
      const { operation, ...definition } = params;
      const at = stamp();
      const rule: AlertRule = { kind: 'alert', ...definition, for: definition.for ?? 0, createdAt: at, updatedAt: at, state: freshAlertState() };
      return store.change((doc) => {
        addRule(doc, rule);
        return { operation, alert: alertView(rule) };
      });
    }
    case 'create-slo': {
      const { operation, ...definition } = params;
      const at = stamp();
      const rule: SloRule = { kind: 'slo', ...definition, createdAt: at, updatedAt: at, state: freshSloState() };
      return store.change((doc) => {
        addRule(doc, rule);
        return { operation, slo: sloView(rule) };
      });
    }
    case 'update-alert':
      return updateAlert(params, store, stamp);
    case 'update-slo':
      return updateSlo(params, store, stamp);
    case 'delete':
      return store.change((doc) => {
        const rule = doc.rules.find((r) => r.name === params.name);
        if (!rule) throw new NotFoundError(`No alert or SLO named "${params.name}"`, { name: params.name }, 'MONITORING_RULE_NOT_FOUND');
        doc.rules = doc.rules.filter((r) => r !== rule);
        return { operation: 'delete', deleted: { name: rule.name, kind: rule.kind } };
      });
    case 'list': {
      const { rules } = await store.read();
      return {
        operation: 'list',
        alerts: rules.filter((r): r is AlertRule => r.kind === 'alert').map(alertView),
        slos: rules.filter((r): r is SloRule => r.kind === 'slo').map(sloView),
        limit: MAX_RULES,
      };
    }
    case 'evaluate':
      return evaluate(params, store, deps, ctx);
  }
}

/**
 * DevOps configureMonitoring (blueprint): alert rules and SLOs over the control plane's own
 * Prometheus metrics, stored in the DAWG's data dir, evaluated on request — alerts to
 * ok / pending / firing / no-data, SLOs to SLI, remaining error budget and burn rate.
 */
export function createConfigureMonitoringAction(deps: ConfigureMonitoringDeps) {
  const store = new MonitoringStore(deps.dir);
  // The last evaluation of all rules, for `maxAgeSeconds`: every control plane evaluates at
  // each proactive reading, and rates are per second since the previous evaluation, so N
  // instances would otherwise each measure 1/N of an interval. Any change of a rule makes it
  // stale (generation, moved when the change starts and when it ends), including one made
  // while the evaluation ran.
  let last: { atMs: number; generation: number; result: ConfigureMonitoringResult } | undefined;
  let generation = 0;
  const handle = async (params: ConfigureMonitoringParams, ctx: ActionContext): Promise<ConfigureMonitoringResult> => {
    if (params.operation === 'list') return configureMonitoring(params, deps, store, ctx);
    if (params.operation !== 'evaluate') {
      generation += 1;
      try {
        return await configureMonitoring(params, deps, store, ctx);
      } finally {
        generation += 1;
      }
    }
    const nowMs = (deps.now ?? Date.now)();
    if (params.maxAgeSeconds !== undefined && last && last.generation === generation && nowMs - last.atMs <= params.maxAgeSeconds * 1000) return last.result;
    const started = generation;
    const result = await configureMonitoring(params, deps, store, ctx);
    if (!params.names && result.operation === 'evaluate' && generation === started) last = { atMs: Date.parse(result.evaluatedAt), generation, result };
    return result;
  };
  return defineAction({
    description:
      'Creates, updates, deletes and lists monitoring alerts and SLO/SLI definitions over the control plane’s Prometheus metrics (e.g. jarvis_http_requests_total), ' +
      'and evaluates them: alert state ok/pending/firing/no-data; SLO SLI, remaining error budget and burn rate since the period started',
    params: configureMonitoringParamsSchema,
    handler: handle,
  });
}
