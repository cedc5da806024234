import { z } from 'zod';
import { errorBodySchema } from '../common/protocol';
import { API_KEY_SCOPES } from '../control-plane/auth/principal';
import type { Connection } from './args';
import { RequestError } from './errors';

/** What the server says about a key. Unknown fields are dropped, so nothing else can reach the terminal. */
export const apiKeyInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(API_KEY_SCOPES)),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof apiKeyInfoSchema>;

export const createdApiKeySchema = apiKeyInfoSchema.extend({ key: z.string().regex(/^jrv_/) });
export type CreatedApiKey = z.infer<typeof createdApiKeySchema>;

const listSchema = z.object({ keys: z.array(apiKeyInfoSchema) });

/** POST /api/v1/audit/verify's answer, as far as the CLI prints it. */
export const auditVerifySchema = z.object({
  ok: z.boolean(),
  checked: z.number(),
  firstBroken: z.object({ seq: z.number(), id: z.string().nullable(), reason: z.string() }).optional(),
  checkpoint: z.object({ seq: z.number(), hash: z.string(), pruned: z.number(), createdAt: z.string() }).optional(),
});
export type AuditVerifyResult = z.infer<typeof auditVerifySchema>;

type FetchFn = typeof fetch;

/** Hints for answers whose fix is on the caller's side. */
function hintFor(status: number): string {
  if (status === 401) return ' (check JARVIS_API_KEY: it must be an active API key of this control plane)';
  if (status === 403) return ' (JARVIS_API_KEY must be an API key with the admin scope)';
  if (status === 429) return ' (wait a moment and retry)';
  return '';
}

/** Client of the control plane's admin API. The key travels in X-API-Key and appears in no message. */
export class AdminClient {
  constructor(
    private readonly connection: Connection,
    private readonly fetchFn: FetchFn = fetch,
  ) {}

  async listKeys(includeRevoked: boolean): Promise<ApiKeyInfo[]> {
    const body = await this.request('GET', `/api/v1/admin/api-keys${includeRevoked ? '?includeRevoked=true' : ''}`);
    return this.expect(listSchema, body).keys;
  }

  async createKey(name: string, scopes: string[]): Promise<CreatedApiKey> {
    return this.expect(createdApiKeySchema, await this.request('POST', '/api/v1/admin/api-keys', { name, scopes }));
  }

  async revokeKey(id: string): Promise<ApiKeyInfo> {
    return this.expect(apiKeyInfoSchema, await this.request('DELETE', `/api/v1/admin/api-keys/${encodeURIComponent(id)}`));
  }

  /** Has the server recompute the audit log's hash chain. */
  async verifyAudit(): Promise<AuditVerifyResult> {
    return this.expect(auditVerifySchema, await this.request('POST', '/api/v1/audit/verify'));
  }

  private expect<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
    const parsed = schema.safeParse(body);
    if (parsed.success) return parsed.data;
    throw new RequestError(`Unexpected answer from ${this.connection.url}: is this a Jarvis control plane of a matching version?`);
  }

  private async request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
    const { url, key, timeoutMs } = this.connection;
    const target = `${url}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(target, {
        method,
        headers: {
          'x-api-key': key,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw this.transportError(err);
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
      const { code, message } = error.data.error;
      throw new RequestError(`${response.status} ${code}: ${message}${hintFor(response.status)}`, response.status, code);
    }
    throw new RequestError(
      `HTTP ${response.status} ${response.statusText} from ${target.split('?')[0]} (not a Jarvis error answer: is JARVIS_URL right?)`,
      response.status,
    );
  }

  private transportError(err: unknown): RequestError {
    const { url, timeoutMs } = this.connection;
    const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      return new RequestError(`No answer from the control plane at ${url} within ${timeoutMs} ms`);
    }
    const reason = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
    const hint =
      e.cause?.code === 'ECONNREFUSED'
        ? ': is it running? Set JARVIS_URL (or --url) to its address'
        : e.cause?.code === 'ENOTFOUND' || e.cause?.code === 'EAI_AGAIN'
          ? ': unknown host; check JARVIS_URL'
          : e.cause?.message === 'bad port'
            ? ': fetch refuses to connect to this reserved port'
            : '';
    return new RequestError(`Cannot reach the control plane at ${url} (${reason})${hint}`);
  }
}
