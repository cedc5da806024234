import type { z } from 'zod';
import { errorBodySchema } from '../common/protocol';
import type { ApprovalStatus } from '../common/firewall-protocol';
import type { TaskPriority } from '../control-plane/agents/types';
import type { Connection } from './args';
import type { CostGrouping } from './args-operations';
import { RequestError } from './errors';
import { fetchFailure, type FetchFailureKind } from '../common/http/fetch-failure';

const UNREACHABLE_HINTS: Record<FetchFailureKind, string> = {
  refused: ': is it running? Start it with `npm start`, or set JARVIS_URL (or --url) to its address',
  'unknown-host': ': unknown host; check JARVIS_URL',
  'bad-port': ': fetch refuses to connect to this reserved port',
  other: '',
};
import * as s from './schemas';

export type { AgentInfo, AgentStats, ApiKeyInfo, ApprovalView, AuditVerifyResult, BudgetView, CostReport, CreatedApiKey, CreatedTask, MemoryHit, Remembered, Forgotten, SuggestionFeedback, SuggestionView, TaskView, WebhookTest, EmailTest, Channels } from './schemas';

type FetchFn = typeof fetch;
type Method = 'GET' | 'POST' | 'DELETE';

/** Hints for answers whose fix is on the caller's side. */
function hintFor(status: number, details: unknown): string {
  if (status === 401) return ' (check JARVIS_API_KEY: it must be an active API key of this control plane)';
  if (status === 403) {
    const scope = (details as { requiredScope?: unknown } | undefined)?.requiredScope;
    if (typeof scope === 'string') return ` (JARVIS_API_KEY must be an API key with the ${scope} scope)`;
  }
  if (status === 429) return ' (wait a moment and retry)';
  return '';
}

const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
};
const seg = encodeURIComponent;

/** Client of the control plane's HTTP API. The key travels in X-API-Key and appears in no message. */
export class JarvisClient {
  constructor(
    private readonly connection: Connection,
    private readonly fetchFn: FetchFn = fetch,
  ) {}

  /** An absolute URL for a path the server answered with (e.g. a job URL). */
  absolute(path: string): string {
    return `${this.connection.url}${path}`;
  }

  async listKeys(includeRevoked: boolean): Promise<s.ApiKeyInfo[]> {
    return (await this.call(s.keyListSchema, 'GET', `/api/v1/admin/api-keys${includeRevoked ? '?includeRevoked=true' : ''}`)).keys;
  }

  createKey(name: string, scopes: string[]): Promise<s.CreatedApiKey> {
    return this.call(s.createdApiKeySchema, 'POST', '/api/v1/admin/api-keys', { name, scopes });
  }

  revokeKey(id: string): Promise<s.ApiKeyInfo> {
    return this.call(s.apiKeyInfoSchema, 'DELETE', `/api/v1/admin/api-keys/${seg(id)}`);
  }

  /** Has the server recompute the audit log's hash chain. */
  verifyAudit(): Promise<s.AuditVerifyResult> {
    return this.call(s.auditVerifySchema, 'POST', '/api/v1/audit/verify');
  }

  /** The proactive system's active suggestions this key may see, most severe first. */
  async listSuggestions(): Promise<s.SuggestionView[]> {
    return (await this.call(s.suggestionListSchema, 'GET', '/api/v1/suggestions')).suggestions;
  }

  dismissSuggestion(id: string): Promise<s.SuggestionView> {
    return this.call(s.suggestionSchema, 'POST', `/api/v1/suggestions/${seg(id)}/dismiss`);
  }

  /** What the adaptive engine learned from this key's dismissals. */
  suggestionFeedback(): Promise<s.SuggestionFeedback> {
    return this.call(s.suggestionFeedbackSchema, 'GET', '/api/v1/suggestions/feedback');
  }

  forgetSuggestionFeedback(id: string): Promise<s.Forgotten> {
    return this.call(s.forgottenSchema, 'DELETE', `/api/v1/suggestions/feedback/${seg(id)}`);
  }

  /** The proactive channels: configuration and what each did, across the control planes (admin). */
  suggestionChannels(): Promise<s.Channels> {
    return this.call(s.channelsSchema, 'GET', '/api/v1/suggestions/channels');
  }

  /** One test message through a proactive channel now (admin). */
  testWebhook(): Promise<s.WebhookTest> {
    return this.call(s.webhookTestSchema, 'POST', '/api/v1/suggestions/webhook/test');
  }

  testEmail(): Promise<s.EmailTest> {
    return this.call(s.emailTestSchema, 'POST', '/api/v1/suggestions/email/test');
  }

  async listAgents(): Promise<s.AgentInfo[]> {
    return (await this.call(s.agentListSchema, 'GET', '/api/v1/agents')).agents;
  }

  agentStats(): Promise<s.AgentStats> {
    return this.call(s.agentStatsSchema, 'GET', '/api/v1/agents/stats');
  }

  submitTask(agent: string, body: { taskType: string; payload: Record<string, unknown>; priority?: TaskPriority }): Promise<s.CreatedTask> {
    return this.call(s.createdTaskSchema, 'POST', `/api/v1/agents/${seg(agent)}/tasks`, body);
  }

  /** The task with its events and full result; `signal` lets Ctrl-C abort a poll in flight. */
  getTask(agent: string, id: string, signal?: AbortSignal): Promise<s.TaskView> {
    return this.call(s.taskSchema, 'GET', `/api/v1/agents/${seg(agent)}/tasks/${seg(id)}`, undefined, signal);
  }

  /** A task by id alone (the job route), with its full result even when the job route cut it. */
  async getTaskById(id: string): Promise<s.TaskView> {
    const job = await this.call(s.jobSchema, 'GET', `/integrations/chatgpt/jobs/${seg(id)}`);
    return s.truncatedResultSchema.safeParse(job.result).success ? this.getTask(job.agent, id) : job;
  }

  /** 200 cancelled at once (not started), or 202 with cancelRequested (running; it ends cancelled shortly). */
  cancelTask(agent: string, id: string): Promise<s.TaskView> {
    return this.call(s.taskSchema, 'POST', `/api/v1/agents/${seg(agent)}/tasks/${seg(id)}/cancel`);
  }

  async listApprovals(filter: { status?: ApprovalStatus; limit?: number }): Promise<s.ApprovalView[]> {
    return (await this.call(s.approvalListSchema, 'GET', `/api/v1/approvals${query(filter)}`)).approvals;
  }

  getApproval(id: string): Promise<s.ApprovalView> {
    return this.call(s.approvalSchema, 'GET', `/api/v1/approvals/${seg(id)}`);
  }

  decideApproval(id: string, verb: 'approve' | 'deny', note?: string): Promise<s.ApprovalView> {
    return this.call(s.approvalSchema, 'POST', `/api/v1/approvals/${seg(id)}/${verb}`, note === undefined ? {} : { note });
  }

  aiCosts(filter: { groupBy: CostGrouping; from?: string; to?: string }): Promise<s.CostReport> {
    return this.call(s.costReportSchema, 'GET', `/api/v1/ai/costs${query(filter)}`);
  }

  aiBudget(): Promise<s.BudgetView> {
    return this.call(s.budgetSchema, 'GET', '/api/v1/ai/budget');
  }

  async recall(search: { q: string; k?: number; userId?: string; type?: string }): Promise<s.MemoryHit[]> {
    return (await this.call(s.recallSchema, 'GET', `/api/v1/memory/search${query(search)}`)).hits;
  }

  remember(memory: { text: string; type?: string; userId?: string }): Promise<s.Remembered> {
    return this.call(s.rememberedSchema, 'POST', '/api/v1/memory', memory);
  }

  /** A call the production commands make: parsed with their own schema. */
  send<S extends z.ZodType>(schema: S, method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<z.output<S>> {
    return this.call(schema, method, path, body, signal);
  }

  private async call<S extends z.ZodType>(schema: S, method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<z.output<S>> {
    const parsed = schema.safeParse(await this.request(method, path, body, signal));
    if (parsed.success) return parsed.data;
    throw new RequestError(`Unexpected answer from ${this.connection.url}: is this a Jarvis control plane of a matching version?`);
  }

  private async request(method: Method, path: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const { url, key, timeoutMs } = this.connection;
    const target = `${url}${path}`;
    let response: Response;
    let text: string;
    try {
      const timeout = AbortSignal.timeout(timeoutMs);
      response = await this.fetchFn(target, {
        method,
        headers: {
          'x-api-key': key,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
      text = await response.text();
    } catch (err) {
      throw this.transportError(err, signal);
    }

    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined) throw new RequestError(`Unexpected answer from ${url}: HTTP ${response.status} without a JSON body`);
      return json;
    }
    const error = errorBodySchema.safeParse(json);
    if (error.success) {
      const { code, message, details } = error.data.error;
      throw new RequestError(`${response.status} ${code}: ${message}${hintFor(response.status, details)}`, response.status, code);
    }
    throw new RequestError(
      `HTTP ${response.status} ${response.statusText} from ${target.split('?')[0]} (not a Jarvis error answer: is JARVIS_URL right?)`,
      response.status,
    );
  }

  private transportError(err: unknown, signal: AbortSignal | undefined): RequestError {
    const { url, timeoutMs } = this.connection;
    if (signal?.aborted) return new RequestError('Interrupted', undefined, 'INTERRUPTED');
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new RequestError(`No answer from the control plane at ${url} within ${timeoutMs} ms`);
    }
    const { reason, kind } = fetchFailure(err);
    return new RequestError(`Cannot reach the control plane at ${url} (${reason})${UNREACHABLE_HINTS[kind]}`);
  }
}
