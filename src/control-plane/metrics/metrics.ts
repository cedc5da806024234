import type { RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { FirewallCounters } from '../firewall/terminal-firewall';

/** Request latencies of an API: 1 ms … 10 s. */
export const HTTP_DURATION_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The firewall's counter: one series per event (and denial reason). */
export const FIREWALL_METRIC = 'jarvis_firewall_commands_total';

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
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'jarvis_' });
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
