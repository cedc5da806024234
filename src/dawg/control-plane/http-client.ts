import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { z } from 'zod';
import { AppError, GatewayTimeoutError, UnavailableError } from '../../common/errors';
import { errorBodySchema, REQUEST_ID_HEADER } from '../../common/protocol';
import {
  approvalSchema,
  auditPageSchema,
  commandOutcomeSchema,
  jarvisQueryAnswerSchema,
  latestApprovalAnswer,
  type ApprovalView,
  type AuditFilter,
  type AuditPageView,
  type CallerContext,
  type CommandOutcome,
  type CommandRequest,
  type ControlPlaneClient,
  type JarvisQueryAnswer,
} from './types';

export interface ControlPlaneClientConfig {
  baseUrl: string;
  serviceToken: string;
  /** Reads (approval, audit, metrics). */
  timeoutMs: number;
  /** A command call: the firewall enforces each rule's own limit; this is the backstop above the longest. */
  commandTimeoutMs: number;
}

/** 5xx answers of the control plane that are refusals of the request, not failures of the control plane. */
const PASSED_THROUGH = new Set([501, 503, 504]);

/**
 * The DAWG's client of the control plane's /internal/v1 routes (service token). The
 * control plane's refusals come back as the same AppError (403 COMMAND_DENIED stays 403
 * COMMAND_DENIED), so the caller of the DAWG action sees the firewall's own reason.
 */
export class HttpControlPlaneClient implements ControlPlaneClient {
  private readonly http: AxiosInstance;

  constructor(private readonly config: ControlPlaneClientConfig) {
    this.http = axios.create({
      baseURL: `${config.baseUrl.replace(/\/+$/, '')}/internal/v1`,
      timeout: config.timeoutMs,
      headers: { authorization: `Bearer ${config.serviceToken}` },
      validateStatus: () => true,
      maxRedirects: 0,
      proxy: false,
    });
  }

  async runCommand(request: CommandRequest, caller: CallerContext): Promise<CommandOutcome> {
    const body = { command: request.command, args: request.args, ...(request.cwd ? { cwd: request.cwd } : {}), ...(request.env ? { env: request.env } : {}), ...(request.hold === false ? { hold: false } : {}), ...(request.context ? { context: request.context } : {}), actor: caller.actor };
    return this.call('POST', '/commands', commandOutcomeSchema, caller, { data: body, timeout: this.config.commandTimeoutMs });
  }

  async approval(id: string, caller: CallerContext): Promise<ApprovalView> {
    return this.call('GET', `/approvals/${encodeURIComponent(id)}`, approvalSchema, caller);
  }

  async latestApproval(filter: { command: string; cwd: string; arg: string }, caller: CallerContext): Promise<ApprovalView | null> {
    return (await this.call('GET', '/approvals', latestApprovalAnswer, caller, { params: filter })).approval;
  }

  async withdrawApproval(id: string, reason: string, caller: CallerContext): Promise<ApprovalView> {
    return this.call('POST', `/approvals/${encodeURIComponent(id)}/withdraw`, approvalSchema, caller, { data: { actor: caller.actor, reason } });
  }

  async audit(filter: AuditFilter, caller: Omit<CallerContext, 'actor'>): Promise<AuditPageView> {
    const params = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
    return this.call('GET', '/audit', auditPageSchema, caller, { params });
  }

  async analyticsQuery(query: { sql: string; params: readonly (string | number | boolean | null)[]; maxRows: number; timeoutMs: number }, caller: CallerContext): Promise<JarvisQueryAnswer> {
    // The control plane bounds the answer itself: the statement's limit, and on the embedded
    // database first the copy of the tables (its worker's start and load, up to 60 s). This is
    // only the net under that, with room for the round trip.
    return this.call('POST', '/analytics/query', jarvisQueryAnswerSchema, caller, { data: { ...query, actor: caller.actor }, timeout: query.timeoutMs + 65_000 });
  }

  async metrics(caller: Omit<CallerContext, 'actor'>): Promise<string> {
    const response = await this.send('GET', '/metrics', caller, { responseType: 'text' });
    if (typeof response.data !== 'string') throw new AppError(502, 'CONTROL_PLANE_BAD_RESPONSE', 'The control plane answered metrics with a non-text body');
    return response.data;
  }

  private async call<S extends z.ZodType>(method: 'GET' | 'POST', url: string, schema: S, caller: Omit<CallerContext, 'actor'>, extra: { data?: unknown; params?: Record<string, string>; timeout?: number } = {}): Promise<z.output<S>> {
    const response = await this.send(method, url, caller, extra);
    const parsed = schema.safeParse(response.data);
    if (!parsed.success) throw new AppError(502, 'CONTROL_PLANE_BAD_RESPONSE', `The control plane answered ${method} ${url} with an unexpected body`);
    return parsed.data;
  }

  private async send(method: 'GET' | 'POST', url: string, caller: Omit<CallerContext, 'actor'>, extra: { data?: unknown; params?: Record<string, string>; timeout?: number; responseType?: 'text' }): Promise<AxiosResponse> {
    let response: AxiosResponse;
    try {
      response = await this.http.request({ method, url, signal: caller.signal, headers: { [REQUEST_ID_HEADER]: caller.requestId }, ...extra });
    } catch (err) {
      if (axios.isCancel(err)) throw new AppError(499, 'CLIENT_CLOSED_REQUEST', 'The call to the control plane was cancelled');
      const code = axios.isAxiosError(err) ? (err.code ?? 'EUNKNOWN') : 'EUNKNOWN';
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') throw new GatewayTimeoutError('CONTROL_PLANE_TIMEOUT', `The control plane did not answer ${method} ${url} in time`);
      throw new UnavailableError('CONTROL_PLANE_UNAVAILABLE', 'The control plane is unreachable from the AI DAWG', { reason: code });
    }
    if (response.status < 400) return response;
    const body = errorBodySchema.safeParse(typeof response.data === 'string' ? safeJson(response.data) : response.data);
    if (response.status === 401) {
      throw new AppError(502, 'CONTROL_PLANE_AUTH_FAILED', 'The control plane refused the AI DAWG\'s service token (AI_DAWG_SERVICE_TOKEN differs between the services)');
    }
    if (!body.success) throw new AppError(502, 'CONTROL_PLANE_ERROR', `The control plane answered HTTP ${response.status}`);
    const { code, message, details } = body.data.error;
    // Its own failures are ours to report as a bad gateway; its refusals pass through: 4xx, 501
    // (not available here), 503 (not now) and 504 (the caller's query ran past its time limit).
    if (response.status >= 500 && !PASSED_THROUGH.has(response.status)) throw new AppError(502, 'CONTROL_PLANE_ERROR', `The control plane failed: ${message}`, { upstreamCode: code });
    throw new AppError(response.status, code, message, details);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
