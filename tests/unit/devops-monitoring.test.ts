import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { Metrics } from '../../src/control-plane/metrics';
import type { ControlPlaneClient } from '../../src/dawg/control-plane/types';
import {
  createConfigureMonitoringAction,
  MONITORING_FILE,
  parsePromText,
  PromTextError,
  type ConfigureMonitoringResult,
} from '../../src/dawg/modules/devops/monitoring';
import { increaseSince, MAX_REMEMBERED_SERIES, remember, SERIES_MEMORY_MS, seriesKey } from '../../src/dawg/modules/devops/monitoring/series-memory';
import { defineModule, ModuleRegistry } from '../../src/dawg/sdk';
import { silentLogger } from '../helpers/logger';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
/** As the evaluator rounds ratios: 12 significant digits. */
const tidy = (x: number) => Number(x.toPrecision(12));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'monitoring-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A control plane whose metrics are whatever the test last put there, and a clock the test moves. */
class Harness {
  text = '';
  nowMs = T0;
  scrapes = 0;
  private registry: ModuleRegistry;

  constructor(private readonly dir: string) {
    this.registry = this.build();
  }

  /** A new action instance over the same dir: what a restarted DAWG builds. */
  restart(): void {
    this.registry = this.build();
  }

  run<R = ConfigureMonitoringResult>(params: Record<string, unknown>): Promise<R> {
    return this.registry
      .execute({ module: 'devops', action: 'configure-monitoring', params }, { requestId: 'req-1', signal: new AbortController().signal, logger: silentLogger() })
      .then((r) => r.result as R);
  }

  private build(): ModuleRegistry {
    const controlPlane: Pick<ControlPlaneClient, 'metrics'> = {
      metrics: async () => {
        this.scrapes++;
        return this.text;
      },
    };
    const registry = new ModuleRegistry();
    const action = createConfigureMonitoringAction({ dir: this.dir, controlPlane, now: () => this.nowMs });
    registry.register(defineModule({ name: 'devops', description: 'test', version: '0.0.0', actions: { 'configure-monitoring': action } }));
    return registry;
  }
}
const harness = (dir: string) => new Harness(dir);

/** jarvis_http_requests_total as prom-client renders it: one series per status. */
function requestsText(byStatus: Record<string, number>, extra = ''): string {
  const lines = Object.entries(byStatus).map(([status, n]) => `jarvis_http_requests_total{method="GET",route="/api/v1/status",status="${status}"} ${n}`);
  return ['# HELP jarvis_http_requests_total HTTP requests', '# TYPE jarvis_http_requests_total counter', ...lines, extra].join('\n') + '\n';
}

const total = { metric: 'jarvis_http_requests_total' };
const errors5xx = { metric: 'jarvis_http_requests_total', matchers: [{ label: 'status', op: '=~', value: '5..' }] };
const notErrors = { metric: 'jarvis_http_requests_total', matchers: [{ label: 'status', op: '!~', value: '5..' }] };

type Evaluated = Extract<ConfigureMonitoringResult, { operation: 'evaluate' }>;
type Listed = Extract<ConfigureMonitoringResult, { operation: 'list' }>;

describe('parsePromText', () => {
  it('reads labels with escapes, comments, HELP/TYPE, special values and timestamps', () => {
    const text = [
      '# A plain comment',
      '# HELP http_requests_total The total number of HTTP requests.\\nSecond line \\\\ backslash',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'negative_inf -Inf',
      'not_a_number NaN',
      '  padded { a = "1" , b="2", } 4  ',
      'odd_labels{__proto__="x",constructor="y"} 1',
    ].join('\n');
    const { samples, families } = parsePromText(text);
    expect(samples.map((s) => [s.name, { ...s.labels }, s.value, s.timestampMs])).toEqual([
      ['http_requests_total', { method: 'post', code: '200' }, 1027, 1395066363000],
      ['http_requests_total', { method: 'post', code: '400' }, 3, 1395066363000],
      ['msdos_file_access_time_seconds', { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' }, 1458255915, undefined],
      ['metric_without_timestamp_and_labels', {}, 12.47, undefined],
      ['something_weird', { problem: 'division by zero' }, Infinity, -3982045],
      ['negative_inf', {}, -Infinity, undefined],
      ['not_a_number', {}, NaN, undefined],
      ['padded', { a: '1', b: '2' }, 4, undefined],
      ['odd_labels', { ['__proto__']: 'x', constructor: 'y' }, 1, undefined],
    ]);
    expect(Object.getPrototypeOf(samples[8]!.labels)).toBeNull();
    expect(families.get('http_requests_total')).toEqual({ type: 'counter', help: 'The total number of HTTP requests.\nSecond line \\ backslash' });
  });

  it.each([
    ['x{a="1\\t"} 1', 1, 'invalid escape'],
    ['x{a="1} 1', 1, 'unterminated label value'],
    ['x{a="1",a="2"} 1', 1, 'label "a" appears twice'],
    ['x{a="1" b="2"} 1', 1, 'expected "," or "}"'],
    ['x{1a="1"} 1', 1, 'expected a label name'],
    ['x 1\nx 2', 2, 'appears twice'],
    ['x{a="1",b="2"} 1\nx{b="2",a="1"} 2', 2, 'appears twice'],
    ['x one', 1, '"one" is not a sample value'],
    ['x 1 1.5', 1, 'not a timestamp'],
    ['x 1 2 3', 1, 'got 3 fields'],
    ['x', 1, 'got 0 fields'],
    ['x{a="1"}1', 1, 'expected a blank'],
    ['1x 1', 1, 'expected a metric name'],
    ['# TYPE x counter\n# TYPE x gauge', 2, 'second TYPE'],
    ['# TYPE x countr', 1, '"countr" is not a metric type'],
    ['# HELP x a\n# HELP x b', 2, 'second HELP'],
  ])('refuses %j at line %d (%s)', (text, line, message) => {
    let error: unknown;
    try {
      parsePromText(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PromTextError);
    expect(error).toMatchObject({ line });
    expect((error as Error).message).toContain(message);
  });

  it('stops past its sample budget', () => {
    expect(() => parsePromText('a 1\nb 2\nc 3', 2)).toThrow('line 3: more than 2 samples');
  });
});

describe('devops configure-monitoring: definitions', () => {
  let dir: string;
  let h: ReturnType<typeof harness>;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(root, 'crud-'));
    h = harness(dir);
  });

  const alert = { operation: 'create-alert', name: 'high-errors', expr: { aggregate: 'rate-ratio', numerator: errors5xx, denominator: total }, op: '>', threshold: 0.05, for: 120, severity: 'critical' };
  const slo = { operation: 'create-slo', name: 'availability', objective: 99.5, window: '30d', sli: { good: notErrors, total } };

  it('creates, lists, updates and deletes alerts and SLOs', async () => {
    await expect(h.run(alert)).resolves.toMatchObject({
      operation: 'create-alert',
      alert: { name: 'high-errors', op: '>', threshold: 0.05, for: 120, severity: 'critical', createdAt: at(0), updatedAt: at(0), lastEvaluation: null },
    });
    await expect(h.run(slo)).resolves.toMatchObject({ operation: 'create-slo', slo: { name: 'availability', objective: 99.5, window: '30d', windowSeconds: 2_592_000 } });
    await h.run({ operation: 'create-alert', name: 'heap', expr: { aggregate: 'max', metric: 'jarvis_nodejs_heap_size_used_bytes' }, op: '>', threshold: 1e9, severity: 'warning' });

    h.nowMs = T0 + 60_000;
    const updated = await h.run<{ alert: Record<string, unknown> }>({ operation: 'update-alert', name: 'high-errors', threshold: 0.1, description: '5xx share' });
    expect(updated.alert).toMatchObject({ threshold: 0.1, for: 120, description: '5xx share', createdAt: at(0), updatedAt: at(60) });
    await h.run({ operation: 'update-slo', name: 'availability', objective: 99.9 });

    const list = await h.run<Listed>({ operation: 'list' });
    expect(list.alerts.map((a) => [a.name, a.threshold, a.for])).toEqual([
      ['high-errors', 0.1, 120],
      ['heap', 1e9, 0],
    ]);
    expect(list.slos.map((s) => [s.name, s.objective])).toEqual([['availability', 99.9]]);
    expect(list.limit).toBe(200);

    await expect(h.run({ operation: 'delete', name: 'heap' })).resolves.toEqual({ operation: 'delete', deleted: { name: 'heap', kind: 'alert' } });
    const after = await h.run<Listed>({ operation: 'list' });
    expect(after.alerts.map((a) => a.name)).toEqual(['high-errors']);
    expect(h.scrapes).toBe(0);
  });

  it('answers 409 for a name taken by either kind, 404 for unknown or other-kind names', async () => {
    await h.run(alert);
    await h.run(slo);
    await expect(h.run({ ...alert, threshold: 1 })).rejects.toMatchObject({ status: 409, code: 'CONFLICT', details: { name: 'high-errors', kind: 'alert' } });
    await expect(h.run({ ...alert, name: 'availability' })).rejects.toMatchObject({ status: 409, message: expect.stringContaining('An SLO named "availability"') });
    await expect(h.run({ operation: 'update-alert', name: 'nope', threshold: 1 })).rejects.toMatchObject({ status: 404, code: 'MONITORING_RULE_NOT_FOUND' });
    await expect(h.run({ operation: 'update-alert', name: 'availability', threshold: 1 })).rejects.toMatchObject({ status: 404, message: expect.stringContaining('use update-slo') });
    await expect(h.run({ operation: 'delete', name: 'nope' })).rejects.toMatchObject({ status: 404, details: { name: 'nope' } });
    await expect(h.run({ operation: 'evaluate', names: ['high-errors', 'x', 'y'] })).rejects.toMatchObject({ status: 404, details: { missing: ['x', 'y'] } });
    expect(h.scrapes).toBe(0);
  });

  it.each([
    [{ ...alert, name: 'Bad Name' }, 'params.name'],
    [{ ...alert, op: '!=' }, 'params.op'],
    [{ ...alert, severity: 'page' }, 'params.severity'],
    [{ ...alert, for: -1 }, 'params.for'],
    [{ ...alert, extra: 1 }, 'params.extra'],
    [{ ...alert, expr: { aggregate: 'median', metric: 'x' } }, 'params.expr.aggregate'],
    [{ ...alert, expr: { aggregate: 'sum', metric: 'bad-metric' } }, 'params.expr.metric'],
    [{ ...alert, expr: { aggregate: 'rate-ratio', numerator: { metric: 'x', matchers: [{ label: 'status', op: '=~', value: '(a+)+(?=b)' }] }, denominator: total } }, 'params.expr.numerator.matchers.0.value'],
    [{ ...alert, expr: { aggregate: 'sum', metric: 'x', labels: { __name__: 'y' } } }, 'params.expr.labels.__name__'],
    [{ ...slo, objective: 100 }, 'params.objective'],
    [{ ...slo, objective: 50 }, 'params.objective'],
    [{ ...slo, window: '91d' }, 'params.window'],
    [{ ...slo, window: '1m' }, 'params.window'],
    [{ ...slo, window: '30 days' }, 'params.window'],
    [{ ...slo, sli: { good: notErrors } }, 'params.sli.total'],
    [{ operation: 'update-alert', name: 'high-errors' }, 'params'],
    [{ operation: 'update-slo', name: 'availability', window: 'forever' }, 'params.window'],
    [{ operation: 'frobnicate' }, 'params.operation'],
  ])('answers 400 naming the field for %j', async (params, field) => {
    await expect(h.run(params)).rejects.toMatchObject({ status: 400, details: { issues: expect.arrayContaining([expect.objectContaining({ field })]) } });
  });

  it('serialises concurrent changes: parallel creates all land, one name once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `rule-${i}`);
    const results = await Promise.allSettled([...names, 'rule-3'].map((name) => h.run({ ...alert, name })));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const list = await h.run<Listed>({ operation: 'list' });
    expect(list.alerts.map((a) => a.name).sort()).toEqual([...names].sort());
    const stored = JSON.parse(await readFile(path.join(dir, MONITORING_FILE), 'utf8')) as { rules: unknown[] };
    expect(stored.rules).toHaveLength(12);
  });

  it('keeps to 200 definitions', async () => {
    const rule = (i: number) => ({ operation: 'create-alert', name: `r-${i}`, expr: { aggregate: 'sum', metric: 'x' }, op: '>', threshold: i, severity: 'info' });
    await Promise.all(Array.from({ length: 200 }, (_, i) => h.run(rule(i))));
    await expect(h.run(rule(200))).rejects.toMatchObject({ status: 409, code: 'MONITORING_RULE_LIMIT', details: { limit: 200 } });
    await h.run({ operation: 'delete', name: 'r-0' });
    await expect(h.run(rule(200))).resolves.toMatchObject({ alert: { name: 'r-200' } });
  });

  it('refuses a damaged file instead of overwriting it', async () => {
    await writeFile(path.join(dir, MONITORING_FILE), '{"version":1,"rules":[{"kind":"alert"}]}');
    await expect(h.run({ operation: 'list' })).rejects.toMatchObject({ status: 500, code: 'MONITORING_STORE_CORRUPT' });
    await expect(h.run(alert)).rejects.toMatchObject({ status: 500, code: 'MONITORING_STORE_CORRUPT' });
    expect(await readFile(path.join(dir, MONITORING_FILE), 'utf8')).toBe('{"version":1,"rules":[{"kind":"alert"}]}');
  });
});

describe('devops configure-monitoring: evaluation', () => {
  let h: ReturnType<typeof harness>;
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(root, 'eval-'));
    h = harness(dir);
  });

  async function evaluateAt(seconds: number, text: string, names?: string[]): Promise<Evaluated> {
    h.nowMs = T0 + seconds * 1000;
    h.text = text;
    return h.run<Evaluated>({ operation: 'evaluate', ...(names && { names }) });
  }

  it('with no rules, answers an empty evaluation without reading the metrics or writing the file', async () => {
    // The control plane's proactive system asks every minute, rules or not.
    const result = await evaluateAt(0, requestsText({ '200': 1 }));
    expect(result).toEqual({ operation: 'evaluate', evaluatedAt: new Date(T0).toISOString(), alerts: [], slos: [], summary: { ok: 0, pending: 0, firing: 0, 'no-data': 0 }, scrape: null });
    expect(h.scrapes).toBe(0);
    await expect(readFile(path.join(dir, MONITORING_FILE), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('with maxAgeSeconds, answers the last evaluation of all rules while it is that young and no rule changed', async () => {
    await h.run({ operation: 'create-alert', name: 'any-5xx', expr: { aggregate: 'sum', ...errors5xx }, op: '>', threshold: 0, severity: 'warning' });
    const shared = (seconds: number) => {
      h.nowMs = T0 + seconds * 1000;
      return h.run<Evaluated>({ operation: 'evaluate', maxAgeSeconds: 30 });
    };
    h.text = requestsText({ '200': 10, '503': 1 });
    const first = await shared(0);
    expect(first.alerts[0]).toMatchObject({ state: 'firing', value: 1 });
    h.text = requestsText({ '200': 10, '503': 5 });
    // A second control plane 20 s later: the same answer, no scrape.
    expect(await shared(20)).toEqual(first);
    expect(h.scrapes).toBe(1);
    // 31 s after it: evaluated again.
    expect((await shared(31)).alerts[0]).toMatchObject({ value: 5 });
    expect(h.scrapes).toBe(2);
    // A changed rule is evaluated at once, however young the last evaluation.
    await h.run({ operation: 'update-alert', name: 'any-5xx', threshold: 10 });
    expect((await shared(32)).alerts[0]).toMatchObject({ state: 'ok', threshold: 10 });
    expect(h.scrapes).toBe(3);
    // Without maxAgeSeconds an evaluation is always fresh (and is what the next shared one reuses).
    expect((await evaluateAt(33, requestsText({ '200': 10, '503': 20 }))).alerts[0]).toMatchObject({ state: 'firing', value: 20 });
    expect((await shared(40)).alerts[0]).toMatchObject({ value: 20 });
    expect(h.scrapes).toBe(4);
    await expect(h.run({ operation: 'evaluate', names: ['any-5xx'], maxAgeSeconds: 30 })).rejects.toMatchObject({
      status: 400,
      details: { issues: [expect.objectContaining({ field: 'params.maxAgeSeconds' })] },
    });
  });

  it('takes an alert from no-data through ok and pending to firing, then no-data when the metric goes', async () => {
    await h.run({ operation: 'create-alert', name: 'high-errors', expr: { aggregate: 'rate-ratio', numerator: errors5xx, denominator: total }, op: '>', threshold: 0.05, for: 120, severity: 'critical' });
    const states: unknown[] = [];
    const step = async (seconds: number, ok: number, failed: number) => {
      const { alerts } = await evaluateAt(seconds, requestsText({ '200': ok, '503': failed }));
      const a = alerts[0]!;
      states.push([seconds, a.state, a.value, a.pendingSince, a.firingSince]);
      return a;
    };
    expect(await step(0, 1000, 10)).toMatchObject({ state: 'no-data', reason: expect.stringContaining('first reading') });
    await step(60, 1099, 11); // +100 requests, 1 failed: 0.01
    await step(120, 1189, 21); // +100, 10 failed: 0.1, pending from now
    await step(180, 1269, 41); // +100, 20 failed: 0.2, 60 s of 120
    await step(240, 1359, 51); // +100, 10 failed: 120 s held: firing
    expect(states).toEqual([
      [0, 'no-data', null, null, null],
      [60, 'ok', 0.01, null, null],
      [120, 'pending', 0.1, at(120), null],
      [180, 'pending', 0.2, at(120), null],
      [240, 'firing', 0.1, at(120), at(240)],
    ]);

    // The control plane restarted: both counters from 0, 1 failure in 50 since.
    const restarted = (await evaluateAt(270, requestsText({ '200': 49, '503': 1 }))).alerts[0]!;
    expect(restarted).toMatchObject({ state: 'ok', value: 0.02, pendingSince: null, reason: `since ${at(240)} (counter reset: counted from 0)` });

    const gone = await evaluateAt(300, '# nothing here\n');
    expect(gone.alerts[0]).toMatchObject({ state: 'no-data', value: null, pendingSince: null, reason: 'metric jarvis_http_requests_total is absent from the scrape' });
    expect(gone.summary).toEqual({ ok: 0, pending: 0, firing: 0, 'no-data': 1 });
  });

  it('aggregates current values, 0 for a sum of no series of a known metric, no-data for an absent one', async () => {
    const text = requestsText({ '200': 40, '404': 2 }, ['# TYPE jarvis_queue_depth gauge', 'jarvis_queue_depth{queue="a"} 7', 'jarvis_queue_depth{queue="b"} 3', 'jarvis_queue_depth{queue="c"} +Inf'].join('\n'));
    const depth = (aggregate: string, extra: Record<string, unknown> = {}) => ({
      operation: 'create-alert', name: `depth-${aggregate}`, expr: { aggregate, metric: 'jarvis_queue_depth', matchers: [{ label: 'queue', op: '!=', value: 'c' }], ...extra }, op: '>=', threshold: 5, severity: 'info',
    });
    for (const aggregate of ['sum', 'avg', 'max', 'min', 'count']) await h.run(depth(aggregate));
    await h.run({ operation: 'create-alert', name: 'any-inf', expr: { aggregate: 'max', metric: 'jarvis_queue_depth' }, op: '>', threshold: 1e6, severity: 'info' });
    await h.run({ operation: 'create-alert', name: 'server-errors', expr: { aggregate: 'sum', ...errors5xx }, op: '>', threshold: 0, severity: 'warning' });
    await h.run({ operation: 'create-alert', name: 'typo', expr: { aggregate: 'sum', metric: 'jarvis_http_request_total' }, op: '>', threshold: 0, severity: 'warning' });
    await h.run({ operation: 'create-alert', name: 'no-match-avg', expr: { aggregate: 'avg', ...errors5xx }, op: '>', threshold: 0, severity: 'warning' });
    const { alerts, summary } = await evaluateAt(0, text);
    expect(alerts.map((a) => [a.name, a.state, a.value])).toEqual([
      ['depth-sum', 'firing', 10],
      ['depth-avg', 'firing', 5],
      ['depth-max', 'firing', 7],
      ['depth-min', 'ok', 3],
      ['depth-count', 'ok', 2],
      ['any-inf', 'firing', '+Inf'],
      ['server-errors', 'ok', 0],
      ['typo', 'no-data', null],
      ['no-match-avg', 'no-data', null],
    ]);
    expect(summary).toEqual({ ok: 3, pending: 0, firing: 4, 'no-data': 2 });
    // The state, +Inf included, survives the JSON file.
    h.restart();
    const list = await h.run<Listed>({ operation: 'list' });
    expect(list.alerts.find((a) => a.name === 'any-inf')!.lastEvaluation).toEqual({ state: 'firing', value: '+Inf', pendingSince: at(0), evaluatedAt: at(0) });
  });

  it('computes an SLO from counter deltas: SLI, error budget, burn rate, a counter reset, a new period', async () => {
    await h.run({ operation: 'create-slo', name: 'availability', objective: 99, window: '1h', sli: { good: notErrors, total } });

    const first = (await evaluateAt(0, requestsText({ '200': 990, '404': 0, '500': 10 }))).slos[0]!;
    expect(first).toMatchObject({ status: 'no-events', sli: null, good: 0, total: 0, burnRate: null, errorBudgetRemaining: null, period: { start: at(0), elapsedSeconds: 0, windowSeconds: 3600, ended: false } });
    expect(first.notes).toEqual(['baseline taken now: the SLI counts events from here on']);

    // +400 requests, 2 of them 5xx: 398/400.
    const second = (await evaluateAt(600, requestsText({ '200': 1380, '404': 8, '500': 12 }))).slos[0]!;
    expect(second).toMatchObject({ status: 'ok', good: 398, total: 400, sli: 0.995, burnRate: 0.5, errorBudgetRemaining: 0.5, counterResets: 0, notes: [] });
    expect(second.period).toEqual({ start: at(0), elapsedSeconds: 600, windowSeconds: 3600, ended: false });

    // The control plane restarted: counters from 0 again (97 good of 100). The 400 counted before are kept.
    const reset = (await evaluateAt(1200, requestsText({ '200': 97, '500': 3 }))).slos[0]!;
    expect(reset).toMatchObject({ status: 'ok', good: 495, total: 500, sli: 0.99, burnRate: 1, errorBudgetRemaining: 0, counterResets: 1 });
    expect(reset.notes).toEqual([expect.stringContaining('counter reset')]);

    // +500 more, 10 of them 5xx: 985/1000, budget overspent.
    const breaching = (await evaluateAt(1800, requestsText({ '200': 587, '500': 13 }))).slos[0]!;
    expect(breaching).toMatchObject({ status: 'breaching', good: 985, total: 1000, sli: 0.985, burnRate: 1.5, errorBudgetRemaining: -0.5, counterResets: 1 });

    // The hour is over: the figures cover it whole, then a new period starts from these counts.
    const ended = (await evaluateAt(3600, requestsText({ '200': 687, '500': 13 }))).slos[0]!;
    expect(ended).toMatchObject({ good: 1085, total: 1100, period: { start: at(0), elapsedSeconds: 3600, ended: true } });
    expect(ended.sli).toBeCloseTo(1085 / 1100, 10);
    const next = (await evaluateAt(3900, requestsText({ '200': 787, '500': 13 }))).slos[0]!;
    expect(next).toMatchObject({ status: 'ok', good: 100, total: 100, sli: 1, burnRate: 0, errorBudgetRemaining: 1, period: { start: at(3600), elapsedSeconds: 300, ended: false } });
  });

  it('keeps definitions and evaluation state across a restart', async () => {
    await h.run({ operation: 'create-alert', name: 'errors', expr: { aggregate: 'rate', ...errors5xx }, op: '>', threshold: 0.5, for: 60, severity: 'warning' });
    await h.run({ operation: 'create-slo', name: 'availability', objective: 99.9, window: '7d', sli: { good: notErrors, total } });
    await evaluateAt(0, requestsText({ '200': 100, '500': 0 }));
    await evaluateAt(60, requestsText({ '200': 200, '500': 60 })); // 60 errors in 60 s: 1/s, pending

    h.restart();
    const later = await evaluateAt(120, requestsText({ '200': 300, '500': 150 })); // 90 in 60 s: 1.5/s, held 60 s
    expect(later.alerts[0]).toMatchObject({ name: 'errors', state: 'firing', value: 1.5, pendingSince: at(60), firingSince: at(120) });
    expect(later.slos[0]).toMatchObject({ good: 200, total: 350, period: { start: at(0), elapsedSeconds: 120 } });

    // Changing the condition starts the alert afresh; changing only the severity keeps its state.
    await h.run({ operation: 'update-alert', name: 'errors', severity: 'critical' });
    expect((await h.run<Listed>({ operation: 'list' })).alerts[0]!.lastEvaluation).toMatchObject({ state: 'firing', pendingSince: at(60) });
    await h.run({ operation: 'update-alert', name: 'errors', threshold: 2 });
    expect((await h.run<Listed>({ operation: 'list' })).alerts[0]!.lastEvaluation).toBeNull();
  });

  /** jarvis_http_requests_total of several control planes, as the control plane's /internal/v1/metrics serves them: one `instance` label each. */
  function instancesText(byInstance: Record<string, Record<string, number>>): string {
    const lines = Object.entries(byInstance).flatMap(([instance, byStatus]) =>
      Object.entries(byStatus).map(([status, n]) => `jarvis_http_requests_total{instance="${instance}",method="GET",route="/api/v1/status",status="${status}"} ${n}`),
    );
    return ['# HELP jarvis_http_requests_total HTTP requests', '# TYPE jarvis_http_requests_total counter', ...lines].join('\n') + '\n';
  }

  it('takes increases series by series: one instance restarting, leaving or missing a scrape is not a reset of all', async () => {
    await h.run({ operation: 'create-alert', name: 'error-share', expr: { aggregate: 'rate-ratio', numerator: errors5xx, denominator: total }, op: '>', threshold: 0.05, severity: 'warning' });
    await h.run({ operation: 'create-alert', name: 'request-rate', expr: { aggregate: 'rate', ...total }, op: '>', threshold: 100, severity: 'info' });
    await h.run({ operation: 'create-slo', name: 'availability', objective: 99, window: '1h', sli: { good: notErrors, total } });
    const step = async (seconds: number, byInstance: Record<string, Record<string, number>>) => {
      const { alerts, slos } = await evaluateAt(seconds, instancesText(byInstance));
      return { share: alerts[0]!.value, rate: alerts[1]!.value, reason: alerts[1]!.reason, good: slos[0]!.good, total: slos[0]!.total, resets: slos[0]!.counterResets };
    };
    await step(0, { a: { '200': 1000, '500': 10 }, b: { '200': 500, '500': 5 } });
    // Both grow: 60 + 60 requests in 60 s, 6 errors.
    expect(await step(60, { a: { '200': 1057, '500': 13 }, b: { '200': 557, '500': 8 } })).toMatchObject({ share: 0.05, rate: 2, good: 114, total: 120, resets: 0 });
    // b restarted (12 requests since, 1 error) while a served 60 with none. Summed, the counters
    // fell from 1635 to 1082, which read as everyone restarting: 1082 new requests.
    expect(await step(120, { a: { '200': 1117, '500': 13 }, b: { '200': 11, '500': 1 } })).toMatchObject({ share: tidy(1 / 72), rate: 1.2, reason: expect.stringContaining('counter reset'), good: 185, total: 192, resets: 1 });
    // b is gone (stopped, or its scrape missed): a's 60 count, b's last values are remembered.
    expect(await step(180, { a: { '200': 1177, '500': 13 } })).toMatchObject({ share: 0, rate: 1, good: 245, total: 252, resets: 1 });
    // b is back: what it served meanwhile (30, 3 errors) counts once, not its whole count again.
    expect(await step(240, { a: { '200': 1237, '500': 13 }, b: { '200': 38, '500': 4 } })).toMatchObject({ share: tidy(3 / 90), rate: 1.5, good: 332, total: 342, resets: 1 });
    // A new instance counts from 0: its first 30 requests are new events.
    expect(await step(300, { a: { '200': 1237, '500': 13 }, b: { '200': 38, '500': 4 }, c: { '200': 30 } })).toMatchObject({ share: 0, rate: 0.5, good: 362, total: 372, resets: 1 });
  });

  it('refuses to count a counter whose selector matches more series than a rule remembers', async () => {
    await h.run({ operation: 'create-alert', name: 'every-series', expr: { aggregate: 'rate', metric: 'x_total' }, op: '>', threshold: 0, severity: 'info' });
    const text = (n: number) => ['# TYPE x_total counter', ...Array.from({ length: n }, (_, i) => `x_total{id="${i}"} ${i}`)].join('\n') + '\n';
    expect((await evaluateAt(0, text(MAX_REMEMBERED_SERIES + 1))).alerts[0]).toMatchObject({
      state: 'no-data',
      reason: `the selector of x_total matches ${MAX_REMEMBERED_SERIES + 1} series; at most ${MAX_REMEMBERED_SERIES} are counted per counter: narrow it with labels or matchers`,
    });
    // At the limit it counts: a first reading, then the increase of all of them.
    await evaluateAt(60, text(MAX_REMEMBERED_SERIES));
    const bumped = ['# TYPE x_total counter', ...Array.from({ length: MAX_REMEMBERED_SERIES }, (_, i) => `x_total{id="${i}"} ${i + 1}`)].join('\n') + '\n';
    expect((await evaluateAt(120, bumped)).alerts[0]).toMatchObject({ state: 'firing', value: MAX_REMEMBERED_SERIES / 60 });
  });

  it('reads state stored before per-series counting: alerts start a new reading, an SLO keeps what it counted', async () => {
    const stamps = { createdAt: at(0), updatedAt: at(0) };
    const legacy = {
      version: 1,
      rules: [
        { kind: 'alert', name: 'errors', expr: { aggregate: 'rate', ...errors5xx }, op: '>', threshold: 0, for: 0, severity: 'warning', ...stamps, state: { status: 'ok', value: 0, pendingSinceMs: T0, evaluatedAtMs: T0, previous: { atMs: T0, value: 10 } } },
        { kind: 'slo', name: 'availability', objective: 99, window: '1h', sli: { good: notErrors, total }, ...stamps, state: { baseline: { good: 90, total: 100 }, periodStartMs: T0, carried: { good: 5, total: 5 }, last: { good: 190, total: 200 }, evaluatedAtMs: T0, counterResets: 1 } },
      ],
    };
    await writeFile(path.join(dir, MONITORING_FILE), JSON.stringify(legacy));
    h.restart();
    const first = await evaluateAt(60, requestsText({ '200': 250, '500': 12 }));
    expect(first.alerts[0]).toMatchObject({ state: 'no-data', reason: expect.stringContaining('first reading') });
    // 5 carried + (190 − 90) good, 5 + (200 − 100) total; this interval is not counted (no series were remembered).
    expect(first.slos[0]).toMatchObject({ good: 105, total: 105, counterResets: 1, notes: [expect.stringContaining('counting series by series from now on')] });
    const second = await evaluateAt(120, requestsText({ '200': 290, '500': 14 }));
    expect(second.alerts[0]).toMatchObject({ state: 'firing', value: 2 / 60 });
    expect(second.slos[0]).toMatchObject({ good: 145, total: 147, period: { start: at(0) } });
  });

  it('reads a rate per second between evaluations, a lower counter as a restart from 0', async () => {
    await h.run({ operation: 'create-alert', name: 'error-rate', expr: { aggregate: 'rate', ...errors5xx }, op: '>=', threshold: 1, severity: 'warning' });
    const values = [];
    for (const [seconds, failed] of [[0, 100], [60, 160], [120, 30], [120, 40]] as const) {
      const a = (await evaluateAt(seconds, requestsText({ '200': 1000, '500': failed }))).alerts[0]!;
      values.push([a.state, a.value]);
    }
    expect(values).toEqual([
      ['no-data', null],
      ['firing', 1],
      ['ok', 0.5],
      ['no-data', null], // no time passed: the previous reading is kept
    ]);
    const next = (await evaluateAt(150, requestsText({ '200': 1000, '500': 60 }))).alerts[0]!;
    expect(next).toMatchObject({ state: 'firing', value: 1, reason: `per second since ${at(120)}` });
  });

  it('evaluates only the named rules, and answers 502 for metrics it cannot read', async () => {
    await h.run({ operation: 'create-alert', name: 'a', expr: { aggregate: 'sum', metric: 'jarvis_http_requests_total' }, op: '>', threshold: 0, severity: 'info' });
    await h.run({ operation: 'create-alert', name: 'b', expr: { aggregate: 'sum', metric: 'jarvis_http_requests_total' }, op: '>', threshold: 0, severity: 'info' });
    const only = await evaluateAt(0, requestsText({ '200': 1 }), ['b']);
    expect(only.alerts.map((a) => a.name)).toEqual(['b']);
    expect(only.scrape).toEqual({ series: 1 });
    await expect(evaluateAt(10, 'jarvis_http_requests_total{status="200" 1\n')).rejects.toMatchObject({ status: 502, code: 'METRICS_UNPARSEABLE', details: { line: 1 } });
  });

  it('evaluates over a real render of the control plane metrics after HTTP traffic', async () => {
    const metrics = new Metrics();
    const app = express();
    app.use(metrics.middleware());
    app.get('/things/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.get('/broken/:id', (_req, res) => {
      res.status(503).json({ ok: false });
    });
    const traffic = async (ok: number, failed: number) => {
      for (let i = 0; i < ok; i++) await request(app).get(`/things/t-${i}`).expect(200);
      for (let i = 0; i < failed; i++) await request(app).get(`/broken/b-${i}`).expect(503);
    };
    const thingsCount = { metric: 'jarvis_http_request_duration_seconds_count', labels: { route: '/things/:id' } };
    await h.run({ operation: 'create-slo', name: 'availability', objective: 99, window: '30d', sli: { good: notErrors, total } });
    await h.run({ operation: 'create-slo', name: 'latency-10s', objective: 95, window: '7d', sli: { good: { metric: 'jarvis_http_request_duration_seconds_bucket', labels: { le: '10' } }, total: { metric: 'jarvis_http_request_duration_seconds_count' } } });
    await h.run({ operation: 'create-alert', name: 'things-served', expr: { aggregate: 'sum', ...thingsCount }, op: '>=', threshold: 9, severity: 'info' });
    await h.run({ operation: 'create-alert', name: 'error-share', expr: { aggregate: 'rate-ratio', numerator: errors5xx, denominator: total }, op: '>', threshold: 0.2, severity: 'warning' });

    await traffic(3, 1);
    h.nowMs = T0;
    h.text = await metrics.render();
    const baseline = await h.run<Evaluated>({ operation: 'evaluate' });
    expect(baseline.scrape!.series).toBeGreaterThan(20); // process metrics parsed too
    expect(baseline.alerts.map((a) => [a.name, a.state, a.value])).toEqual([
      ['things-served', 'ok', 3],
      ['error-share', 'no-data', null],
    ]);

    await traffic(6, 2);
    h.nowMs = T0 + 60_000;
    h.text = await metrics.render();
    const after = await h.run<Evaluated>({ operation: 'evaluate' });
    expect(after.alerts.map((a) => [a.name, a.state, a.value])).toEqual([
      ['things-served', 'firing', 9],
      ['error-share', 'firing', 0.25],
    ]);
    const [availability, latency] = after.slos;
    expect(availability).toMatchObject({ status: 'breaching', good: 6, total: 8, sli: 0.75, burnRate: 25, errorBudgetRemaining: -24 });
    expect(latency).toMatchObject({ status: 'ok', good: 8, total: 8, sli: 1, burnRate: 0, errorBudgetRemaining: 1 });
  });

  it('evaluates alerts on the AI router, task and circuit metrics of a real render (docs/API.md examples)', async () => {
    const metrics = new Metrics({ processMetrics: false });
    let dawg: 'closed' | 'open' | 'half-open' = 'closed';
    metrics.watch({ dawgCircuit: () => dawg });
    const bus = new EventEmitter();
    metrics.countTasks(bus as unknown as Parameters<Metrics['countTasks']>[0]);
    const attempts = (ok: number, failed: number) => {
      for (let i = 0; i < ok; i++) metrics.aiAttempt({ provider: 'openai', model: 'gpt-4o-mini', outcome: 'ok', latencyMs: 300, costUsd: 0.001, inputTokens: 10, outputTokens: 5 });
      for (let i = 0; i < failed; i++) metrics.aiAttempt({ provider: 'openai', model: 'gpt-4o-mini', outcome: 'timeout', latencyMs: 30_000 });
    };
    const task = (type: string) => bus.emit('event', { type, jobId: `tsk_${Math.random()}`, agent: 'DataScientist', taskType: 'analyze-data', at: new Date().toISOString() });
    await h.run({ operation: 'create-alert', name: 'ai-failures', expr: { aggregate: 'rate-ratio', numerator: { metric: 'jarvis_ai_attempts_total', matchers: [{ label: 'outcome', op: '!=', value: 'ok' }] }, denominator: { metric: 'jarvis_ai_attempts_total' } }, op: '>', threshold: 0.2, severity: 'warning' });
    await h.run({ operation: 'create-alert', name: 'dawg-circuit-open', expr: { aggregate: 'max', metric: 'jarvis_dawg_circuit_state', labels: { state: 'open' } }, op: '>=', threshold: 1, severity: 'critical' });
    await h.run({ operation: 'create-alert', name: 'task-failures', expr: { aggregate: 'rate', metric: 'jarvis_task_events_total', labels: { event: 'task.failed' } }, op: '>', threshold: 0, severity: 'warning' });
    await h.run({ operation: 'create-alert', name: 'ai-spend', expr: { aggregate: 'sum', metric: 'jarvis_ai_cost_usd_total' }, op: '>=', threshold: 0.01, severity: 'info' });

    attempts(8, 0);
    task('task.completed');
    h.nowMs = T0;
    h.text = await metrics.render();
    const first = await h.run<Evaluated>({ operation: 'evaluate' });
    expect(first.alerts.map((a) => [a.name, a.state])).toEqual([
      ['ai-failures', 'no-data'],
      ['dawg-circuit-open', 'ok'],
      ['task-failures', 'no-data'],
      ['ai-spend', 'ok'],
    ]);

    attempts(6, 4);
    task('task.failed');
    dawg = 'open';
    h.nowMs = T0 + 60_000;
    h.text = await metrics.render();
    const second = await h.run<Evaluated>({ operation: 'evaluate' });
    expect(second.alerts.map((a) => [a.name, a.state])).toEqual([
      ['ai-failures', 'firing'],
      ['dawg-circuit-open', 'firing'],
      ['task-failures', 'firing'],
      ['ai-spend', 'firing'],
    ]);
    const value = (name: string) => second.alerts.find((a) => a.name === name)!.value!;
    expect(value('ai-failures')).toBeCloseTo(0.4, 9); // 4 failed of 10 attempts since the last evaluation
    expect(value('dawg-circuit-open')).toBe(1);
    expect(value('task-failures')).toBeCloseTo(1 / 60, 9); // one failure in 60 s
    expect(value('ai-spend')).toBeCloseTo(0.014, 9);
  });
});

describe('series memory', () => {
  const sample = (instance: string, value: number) => ({ name: 'x_total', labels: { instance }, value });

  it('forgets a series unseen for an hour and caps how many it remembers, the longest unseen first', () => {
    const start = remember([sample('a', 5), sample('b', 7)], 0);
    const later = increaseSince(start, [sample('a', 6)], SERIES_MEMORY_MS - 1);
    expect(later).toMatchObject({ increase: 1, resets: 0 });
    expect(Object.keys(later.memory)).toHaveLength(2);
    // b unseen for the full hour: forgotten, so when it comes back it counts from 0.
    const after = increaseSince(later.memory, [sample('a', 6)], SERIES_MEMORY_MS);
    expect(Object.keys(after.memory)).toEqual([seriesKey({ instance: 'a' })]);
    expect(increaseSince(after.memory, [sample('a', 6), sample('b', 9)], SERIES_MEMORY_MS + 1).increase).toBe(9);

    const many = Array.from({ length: MAX_REMEMBERED_SERIES }, (_, i) => sample(`old-${i}`, 1));
    const full = remember(many, 1);
    const capped = increaseSince(full, [sample('new', 1)], 2).memory;
    expect(Object.keys(capped)).toHaveLength(MAX_REMEMBERED_SERIES);
    expect(capped[seriesKey({ instance: 'new' })]).toEqual([1, 2]);
  });

  it('keys a series by its labels whatever their order', () => {
    expect(seriesKey({ a: '1', b: '2' })).toBe(seriesKey({ b: '2', a: '1' }));
    expect(seriesKey({ a: '1' })).not.toBe(seriesKey({ a: '1', b: '' }));
  });
});
