import { createHmac, randomUUID } from 'node:crypto';
import axios, { type AxiosInstance } from 'axios';
import { z } from 'zod';
import { retryAfterMs } from '../../common/http/retry-after';
import type { Logger } from '../../common/logger';
import type { Severity } from './adaptive';
import { DeliveryQueue, type AttemptOutcome, type Delivery, type ChannelOptions } from './delivery-queue';
import type { SuggestionEvent } from './proactive-engine';

export type { Delivery } from './delivery-queue';

/*
 * The proactive webhook: suggestions sent to an operations channel (an incident tool, a chat
 * room) as they are raised, change severity and resolve, so a firing alert or a budget about
 * to run out reaches someone who is not looking at the dashboard. Three formats: `json` (the
 * suggestion, optionally signed with HMAC-SHA256 like Stripe's webhooks), `slack` (a Slack
 * incoming webhook's documented `{ text }` body) and `pagerduty` (PagerDuty's Events API v2:
 * a raise or severity change triggers an alert keyed by the suggestion, a resolve resolves it).
 * Deliveries run one after another, off the reading, with retries for what may pass (network
 * errors, timeouts, 408, 429, 5xx).
 */

export const WEBHOOK_FORMATS = ['json', 'slack', 'pagerduty'] as const;
/** PagerDuty's Events API v2 endpoint (EU accounts: https://events.eu.pagerduty.com/v2/enqueue). */
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookOptions extends ChannelOptions {
  url: string;
  format: WebhookFormat;
  /** json format: signs each body (`X-Jarvis-Signature`). */
  secret?: string;
  /** pagerduty format: the integration's routing key (sent in each body, never logged). */
  routingKey?: string;
  timeoutMs?: number;
}

const RETRY_AFTER_CAP_MS = 30_000;
/** What PagerDuty answers when it refuses an event. */
const pagerDutyRefusal = z.object({ message: z.string().optional(), errors: z.array(z.string()).optional() });
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;


const LABEL: Record<SuggestionEvent, string> = { 'suggestion.raised': 'raised', 'suggestion.updated': 'now', 'suggestion.resolved': 'resolved' };

/** A Slack message (mrkdwn): one line of what and how severe, then the message and what to do. */
export function slackText({ event, suggestion: s, local }: Delivery, instance: string): string {
  const where = local ? ` on ${instance}` : '';
  if (event === 'suggestion.resolved') return `*Resolved:* ${s.title}${where} (\`${s.id}\`)`;
  return [`*[${s.severity.toUpperCase()}]* ${s.title}${where} (${LABEL[event]}, \`${s.id}\`)`, s.message, `→ ${s.action}`].join('\n');
}

/** PagerDuty's severities are critical, error, warning and info; ours map onto three of them. */
const PAGERDUTY_SEVERITY: Record<Severity, 'critical' | 'warning' | 'info'> = { critical: 'critical', warning: 'warning', info: 'info' };

/**
 * A PagerDuty Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * `trigger` for a raise or severity change, `resolve` for a resolve, with the suggestion's id as
 * the dedup key (an instance's own suggestion: with the instance, as each instance has its own).
 */
export function pagerDutyEvent({ event, suggestion: s, local }: Delivery, instance: string, routingKey: string): Record<string, unknown> {
  const dedupKey = local ? `${s.id}@${instance}` : s.id;
  if (event === 'suggestion.resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    client: 'Jarvis',
    payload: {
      summary: `${s.title}${local ? ` on ${instance}` : ''}`.slice(0, 1024),
      source: instance,
      severity: PAGERDUTY_SEVERITY[s.severity],
      timestamp: s.raisedAt,
      component: s.kind,
      group: 'jarvis',
      class: s.kind,
      custom_details: { id: s.id, message: s.message, action: s.action, signal: s.signal, updatedAt: s.updatedAt },
    },
  };
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`: a receiver recomputes it and checks t is recent. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** What the webhook's host said, for logs: never the URL's path or query (a Slack URL is its own secret). */
const webhookTarget = (url: string) => new URL(url).host;

export class WebhookNotifier extends DeliveryQueue {
  readonly channel = 'webhook' as const;
  private readonly http: AxiosInstance;

  constructor(
    private readonly options: WebhookOptions,
    logger: Logger,
  ) {
    super(options, logger, 'proactive webhook');
    this.http = axios.create({ timeout: options.timeoutMs ?? 5_000, maxRedirects: 0, proxy: false, validateStatus: () => true, responseType: 'text', transformResponse: (d: unknown) => d });
  }

  protected target(): string {
    return webhookTarget(this.options.url);
  }

  protected destination(): string {
    return JSON.stringify([this.options.format, this.options.url, this.options.routingKey ?? null]);
  }

  describe(): Record<string, unknown> {
    return { target: this.target(), format: this.options.format, ...(this.options.format === 'json' ? { signed: Boolean(this.options.secret) } : {}) };
  }

  protected prepare(delivery: Delivery): () => Promise<AttemptOutcome> {
    const deliveryId = randomUUID();
    const body = this.body(delivery, deliveryId);
    return () => this.attempt(delivery.event, deliveryId, body);
  }

  private body(delivery: Delivery, deliveryId: string): string {
    if (this.options.format === 'slack') return JSON.stringify({ text: slackText(delivery, this.instance) });
    if (this.options.format === 'pagerduty') return JSON.stringify(pagerDutyEvent(delivery, this.instance, this.options.routingKey!));
    return JSON.stringify({ event: delivery.event, deliveryId, sentAt: new Date().toISOString(), instance: this.instance, suggestion: delivery.suggestion });
  }

  /**
   * One delivery of a test message, now, without retries (POST /api/v1/suggestions/webhook/test):
   * what the receiver answered, so an operator can check the URL, the format and the secret.
   */
  async test(): Promise<{ delivered: boolean; target: string; status?: number; reason?: string; ms: number }> {
    const started = performance.now();
    const answer = (outcome: { ok: boolean; status?: number; reason: string }) => ({
      delivered: outcome.ok,
      target: webhookTarget(this.options.url),
      ...(outcome.status ? { status: outcome.status } : {}),
      ...(outcome.ok ? {} : { reason: outcome.reason }),
      ms: Math.round(performance.now() - started),
    });
    if (this.options.format === 'pagerduty') {
      // PagerDuty has no ping: an info alert, resolved at once, proves the routing key works.
      const key = { routing_key: this.options.routingKey, dedup_key: `jarvis-webhook-test@${this.instance}` };
      const trigger = { ...key, event_action: 'trigger', client: 'Jarvis', payload: { summary: 'Jarvis webhook test (resolved at once)', source: this.instance, severity: 'info', component: 'webhook-test', group: 'jarvis' } };
      const triggered = await this.attempt('webhook.test', randomUUID(), JSON.stringify(trigger));
      if (!triggered.ok) return answer(triggered);
      const resolved = await this.attempt('webhook.test', randomUUID(), JSON.stringify({ ...key, event_action: 'resolve' }));
      return answer(resolved.ok ? resolved : { ...resolved, reason: `the test alert was triggered but its resolve failed (${resolved.reason}): resolve it in PagerDuty` });
    }
    const deliveryId = randomUUID();
    const body =
      this.options.format === 'slack'
        ? JSON.stringify({ text: `Jarvis webhook test from ${this.instance}: suggestions will arrive here.` })
        : JSON.stringify({ event: 'webhook.test', deliveryId, sentAt: new Date().toISOString(), instance: this.instance });
    return answer(await this.attempt('webhook.test', deliveryId, body));
  }

  /** One POST: delivered, or why not and whether another attempt may pass. */
  private async attempt(event: string, deliveryId: string, body: string): Promise<AttemptOutcome> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'jarvis-proactive/1' };
    if (this.options.format === 'json') {
      headers['x-jarvis-event'] = event;
      headers['x-jarvis-delivery'] = deliveryId;
      if (this.options.secret) headers['x-jarvis-signature'] = signature(this.options.secret, body, Math.floor(Date.now() / 1000));
    }
    try {
      const res = await this.http.post(this.options.url, body, { headers, signal: this.stopping.signal });
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, reason: '', retry: false };
      const asked = retryAfterMs(res.headers['retry-after']);
      const after = asked === undefined ? undefined : Math.min(RETRY_AFTER_CAP_MS, asked);
      return { ok: false, status: res.status, reason: `HTTP ${res.status}${this.refusal(res.data)}`, retry: retryable(res.status), ...(after === undefined ? {} : { after }) };
    } catch (err) {
      return { ok: false, reason: axios.isAxiosError(err) ? (err.code ?? 'network error') : (err as Error).message, retry: true };
    }
  }

  /** PagerDuty says why it refused an event (`{ status, message, errors }`); the other receivers' bodies are not repeated. */
  private refusal(body: unknown): string {
    if (this.options.format !== 'pagerduty' || typeof body !== 'string') return '';
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      return '';
    }
    const parsed = pagerDutyRefusal.safeParse(raw);
    const why = parsed.success ? [parsed.data.message, ...(parsed.data.errors ?? [])].filter(Boolean).join('; ') : '';
    return why ? `: ${why.slice(0, 300)}` : '';
  }
}

/** The webhook URL: http:// or https:// only. */
export const webhookUrlSchema = z
  .url({ message: 'must be a URL' })
  .refine((u) => ['http:', 'https:'].includes(new URL(u).protocol), 'must be an http:// or https:// URL');
