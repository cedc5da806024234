import type { RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TaskEvent } from '../agents/task-event-bus';
import type { FirewallCounters } from '../firewall/terminal-firewall';

/** Request latencies of an API: 1 ms … 10 s. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Task runs: 10 ms … 30 min. */
const TASK_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Provider calls: 50 ms … 2 min. */
const AI_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** A circuit's states, each a 0/1 series (`…{state="open"} 1`): alert on `== 1`, graph as a state timeline. */
const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const;
type CircuitState = (typeof CIRCUIT_STATES)[number];
/** Runs tracked from their start on this instance; past this many (tasks lost between instances) the oldest are forgotten. */
const MAX_TRACKED_RUNS = 10_000;

/** One attempt of a provider call as the AI router saw it. */
export interface AiAttemptObservation {
  provider: string;
  model: string;
  /** ok, or why not (timeout, rate_limited, circuit_open, budget, …: the ledger's outcome). */
  outcome: string;
  /** Absent when no call was made (circuit open, over budget). */
  latencyMs?: number;
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
}

/** What the gauges read at each scrape. */
export interface MetricsGaugeSources {
  dawgCircuit?: () => CircuitState;
  providerCircuits?: () => Iterable<[provider: string, state: CircuitState]>;
  websocketConnections?: () => number;
  /** Each proactive channel configured (webhook, email) and whether its last delivery failed for good. */
  notificationChannels?: () => Iterable<[channel: string, failing: boolean]>;
}

/** How one proactive delivery ended (the channels' hook). */
export interface NotificationObservation {
  channel: string;
  event: string;
  outcome: 'delivered' | 'failed';
  attempts: number;
}

/** The task event bus, as far as the counters need it. */
interface TaskEventSource {
  on(event: 'event', listener: (e: TaskEvent) => void): unknown;
  off(event: 'event', listener: (e: TaskEvent) => void): unknown;
}

/** The firewall's counter: one series per event (and denial reason). */
export const FIREWALL_METRIC = 'jarvis_firewall_commands_total';

/** The events that end a run started on this instance, and the outcome each is timed as. */
const RUN_ENDS = new Map([
  ['task.completed', 'completed'],
  ['task.failed', 'failed'],
  ['task.cancelled', 'cancelled'],
  ['task.retrying', 'retrying'],
  ['task.requeued', 'requeued'],
]);

/** Sets a state gauge: 1 for `state`, 0 for the others. */
function oneHot(gauge: Gauge<string>, state: CircuitState, labels: Record<string, string>): void {
  for (const s of CIRCUIT_STATES) gauge.set({ ...labels, state: s }, s === state ? 1 : 0);
}

/** The `route` label of a request no route answered (404s, refusals before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

export interface MetricsOptions {
  /**
   * Node.js process metrics (CPU, memory, event loop lag, GC) as `jarvis_*`; on by default.
   * prom-client starts a GC observer and an event-loop-delay monitor per call that live as long
   * as the process (it has no way to stop them), so a process that builds many apps may turn
   * them off.
   */
  processMetrics?: boolean;
}

/** One metric as `Registry.getMetricsAsJSON()` gives it (prom-client does not export the type). */
export interface MetricJson {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>;
}

type HttpLabel = 'method' | 'route' | 'status';

// Status codes as label strings, made once: the hot path then allocates no number-to-string.
const STATUS_TEXT: readonly string[] = Array.from({ length: 600 }, (_, code) => String(code));
const START = Symbol('jarvis.metrics.start');
type TimedResponse = Response & { [START]?: number };

/**
 * The control plane's Prometheus metrics, one instance per app with its own registry (never
 * prom-client's global one, so two apps in one process — tests — never share counters).
 */
export class Metrics {
  private readonly registry = new Registry();
  private readonly requests: Counter<HttpLabel>;
  private readonly durations: Histogram<HttpLabel>;
  private readonly firewall: Counter<'event' | 'reason'>;
  private readonly taskEvents: Counter<'event' | 'agent' | 'task_type'>;
  private readonly taskDurations: Histogram<'agent' | 'task_type' | 'outcome'>;
  private readonly aiAttemptCount: Counter<'provider' | 'model' | 'outcome'>;
  private readonly aiDurations: Histogram<'provider' | 'model'>;
  private readonly aiCost: Counter<'provider' | 'model'>;
  private readonly aiTokens: Counter<'provider' | 'model' | 'direction'>;
  private readonly notifications: Counter<'channel' | 'event' | 'outcome'>;
  private readonly notificationAttempts: Counter<'channel'>;
  private gaugeSources: MetricsGaugeSources = {};

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    const labelNames: HttpLabel[] = ['method', 'route', 'status'];
    this.requests = new Counter({ name: 'jarvis_http_requests_total', help: 'HTTP requests answered, by method, matched route pattern and status', labelNames, registers });
    this.durations = new Histogram({
      name: 'jarvis_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its response, by method, matched route pattern and status',
      labelNames,
      buckets: [...HTTP_DURATION_BUCKETS],
      registers,
    });
    this.firewall = new Counter({
      name: FIREWALL_METRIC,
      help: 'Terminal firewall: commands allowed, denied (reason: the denial code), held for approval, finished and timed out',
      labelNames: ['event', 'reason'],
      registers,
    });
    this.taskEvents = new Counter({
      name: 'jarvis_task_events_total',
      help: 'Agent task and workflow state changes made on this instance (task.created, task.started, task.completed, task.failed, task.retrying, …; not task.progress), by agent and task type',
      labelNames: ['event', 'agent', 'task_type'],
      registers,
    });
    this.taskDurations = new Histogram({
      name: 'jarvis_task_run_duration_seconds',
      help: 'Time from a task run starting on this instance to its end (outcome completed, failed, cancelled, retrying or requeued)',
      labelNames: ['agent', 'task_type', 'outcome'],
      buckets: TASK_DURATION_BUCKETS,
      registers,
    });
    this.aiAttemptCount = new Counter({ name: 'jarvis_ai_attempts_total', help: 'AI router attempts at a provider model, by outcome (ok, or the failure: timeout, rate_limited, circuit_open, budget, …)', labelNames: ['provider', 'model', 'outcome'], registers });
    this.aiDurations = new Histogram({ name: 'jarvis_ai_attempt_duration_seconds', help: 'Time a provider took to answer an attempt (or fail it)', labelNames: ['provider', 'model'], buckets: AI_DURATION_BUCKETS, registers });
    this.aiCost = new Counter({ name: 'jarvis_ai_cost_usd_total', help: 'Cost booked for successful AI calls, in US dollars (the catalog price of the tokens used)', labelNames: ['provider', 'model'], registers });
    this.aiTokens = new Counter({ name: 'jarvis_ai_tokens_total', help: 'Tokens of successful AI calls (direction input or output; estimated where the provider reported none)', labelNames: ['provider', 'model', 'direction'], registers });
    this.notifications = new Counter({
      name: 'jarvis_notification_deliveries_total',
      help: 'Proactive suggestions sent to a channel (webhook, email) by this instance: event (suggestion.raised, .updated, .resolved) and outcome (delivered, or failed after its attempts: a later reading sends it again)',
      labelNames: ['channel', 'event', 'outcome'],
      registers,
    });
    this.notificationAttempts = new Counter({ name: 'jarvis_notification_attempts_total', help: 'Attempts made to deliver proactive suggestions, retries included, by channel', labelNames: ['channel'], registers });
    const gauges = () => this.gaugeSources;
    new Gauge({
      name: 'jarvis_notification_channel_failing',
      help: "Each proactive channel configured on this instance: 1 while this instance's last delivery on it failed for good (until one arrives), else 0",
      labelNames: ['channel'],
      registers,
      collect() {
        this.reset();
        for (const [channel, failing] of gauges().notificationChannels?.() ?? []) this.set({ channel }, failing ? 1 : 0);
      },
    });
    new Gauge({
      name: 'jarvis_dawg_circuit_state',
      help: "The circuit breaker in front of the AI DAWG: 1 for its current state (closed, half-open or open), 0 for the others",
      labelNames: ['state'],
      registers,
      collect() {
        const read = gauges().dawgCircuit;
        if (read) oneHot(this, read(), {});
      },
    });
    new Gauge({
      name: 'jarvis_ai_provider_circuit_state',
      help: "Each AI provider's circuit breaker (providers called since start): 1 for its current state (closed, half-open or open), 0 for the others",
      labelNames: ['provider', 'state'],
      registers,
      collect() {
        this.reset();
        for (const [provider, state] of gauges().providerCircuits?.() ?? []) oneHot(this, state, { provider });
      },
    });
    new Gauge({
      name: 'jarvis_websocket_connections',
      help: 'WebSocket connections open on this instance',
      registers,
      collect() {
        const read = gauges().websocketConnections;
        if (read) this.set(read());
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'jarvis_' });
  }

  /** What the circuit and connection gauges read at each scrape (set once the services exist). */
  watch(sources: MetricsGaugeSources): void {
    this.gaugeSources = { ...this.gaugeSources, ...sources };
  }

  /** The proactive channels' hook: one call per delivery that ended. */
  notificationDelivery(o: NotificationObservation): void {
    this.notifications.inc({ channel: o.channel, event: o.event, outcome: o.outcome });
    if (o.attempts) this.notificationAttempts.inc({ channel: o.channel }, o.attempts);
  }

  /** The AI router's hook: one call per attempt. */
  aiAttempt(a: AiAttemptObservation): void {
    const labels = { provider: a.provider, model: a.model };
    this.aiAttemptCount.inc({ ...labels, outcome: a.outcome });
    if (a.latencyMs !== undefined) this.aiDurations.observe(labels, a.latencyMs / 1000);
    if (a.outcome !== 'ok') return;
    if (a.costUsd) this.aiCost.inc(labels, a.costUsd);
    if (a.inputTokens) this.aiTokens.inc({ ...labels, direction: 'input' }, a.inputTokens);
    if (a.outputTokens) this.aiTokens.inc({ ...labels, direction: 'output' }, a.outputTokens);
  }

  /**
   * Counts the task events this instance publishes and times the runs it starts (start to
   * completion, failure, cancellation or retry). Returns the function that stops counting.
   */
  countTasks(bus: TaskEventSource): () => void {
    const started = new Map<string, number>();
    const onEvent = (e: TaskEvent) => {
      if (e.type === 'task.progress') return;
      const agent = e.agent ?? '';
      const taskType = e.taskType ?? '';
      this.taskEvents.inc({ event: e.type, agent, task_type: taskType });
      if (e.type === 'task.started') {
        if (started.size >= MAX_TRACKED_RUNS) started.delete(started.keys().next().value!);
        started.set(e.jobId, performance.now());
        return;
      }
      const outcome = RUN_ENDS.get(e.type);
      const since = started.get(e.jobId);
      if (outcome === undefined || since === undefined) return;
      started.delete(e.jobId);
      this.taskDurations.observe({ agent, task_type: taskType, outcome }, (performance.now() - since) / 1000);
    };
    bus.on('event', onEvent);
    return () => bus.off('event', onEvent);
  }

  /** The Content-Type of `render()`'s text (Prometheus text format 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The firewall's counting hook. */
  firewallCounters(): FirewallCounters {
    return { count: (event, reason) => this.firewall.inc({ event, reason: reason ?? '' }) };
  }

  /** Every metric as prom-client's JSON (what another instance publishes and merges). */
  json(): Promise<MetricJson[]> {
    return this.registry.getMetricsAsJSON() as unknown as Promise<MetricJson[]>;
  }

  /**
   * Counts and times every request, labelled with the route *pattern* that answered it
   * (`/things/:id`, never the raw URL, which would make one series per id) or `unmatched`.
   * Mount it first so the time covers the whole pipeline.
   */
  middleware(): RequestHandler {
    // One listener function for all requests (it reads its response from `this`): no closure per request.
    const { requests, durations } = this;
    function onFinish(this: TimedResponse): void {
      const started = this[START];
      if (started === undefined) return;
      const req = this.req;
      const path: unknown = req.route?.path;
      // Express restores req.baseUrl when a sub-router hands an error outward, so a route in a
      // mounted router that failed is labelled relative to that router; still a pattern.
      const route = typeof path === 'string' ? (req.baseUrl ? req.baseUrl + path : path) : UNMATCHED_ROUTE;
      const labels = { method: req.method, route, status: STATUS_TEXT[this.statusCode] ?? String(this.statusCode) };
      requests.inc(labels);
      durations.observe(labels, (performance.now() - started) / 1000);
    }
    return (_req, res, next) => {
      (res as TimedResponse)[START] = performance.now();
      res.on('finish', onFinish);
      next();
    };
  }
}
