import type { z } from 'zod';
import { fetchFailure, type FetchFailureKind } from '../../../common/http/fetch-failure';
import { errorBodySchema } from '../../../common/protocol';

const UNREACHABLE_HINTS: Record<FetchFailureKind, string | undefined> = {
  refused: 'is the control plane running (npm start)? Set JARVIS_URL to its address',
  'unknown-host': 'unknown host: check JARVIS_URL',
  'bad-port': 'fetch refuses to connect to this reserved port: check JARVIS_URL',
  other: undefined,
};

/**
 * Why a call did not give the answer asked for: the control plane's own error (its status,
 * code, message and details, passed on as they came) or a local one: unreachable, timed out,
 * cancelled, or an answer that is not what this version of the MCP server expects.
 */
export interface CallFailure {
  status?: number;
  code: string;
  message: string;
  details?: unknown;
  /** What the caller can do about it, when that is on its side (a key, a scope, the URL). */
  hint?: string;
}

/** Expected outcomes of a call are values, not exceptions: a tool turns either into its result. */
export type CallOutcome<T> = { ok: true; status: number; data: T } | { ok: false; failure: CallFailure };

export type QueryValue = string | number | boolean | undefined;

export interface CallOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** Use the long bound (chat, module actions, commands) rather than the ordinary one. */
  long?: boolean;
  /** The MCP client's cancellation of the request this call serves. */
  signal?: AbortSignal;
}

export interface ControlPlaneClientOptions {
  url: string;
  apiKey: string;
  timeoutMs: number;
  longTimeoutMs: number;
  /** Injected by tests; Node's fetch otherwise. */
  fetchFn?: typeof fetch;
}

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

function hintFor(status: number, details: unknown): string | undefined {
  if (status === 401) return 'check JARVIS_API_KEY: it must be an active API key of this control plane (npm run jarvis -- keys create)';
  if (status === 403) {
    const scope = (details as { requiredScope?: unknown } | undefined)?.requiredScope;
    if (typeof scope === 'string') return `this needs an API key with the "${scope}" scope in JARVIS_API_KEY`;
  }
  if (status === 429) return 'rate limited: wait a moment and retry';
  return undefined;
}

/**
 * The MCP server's HTTP client of the control plane. Every call is bounded by a timeout, the
 * key travels in X-API-Key only and is never part of a message, and every answer is checked
 * against the schema of the route it came from before anything uses it.
 */
export class ControlPlaneClient {
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ControlPlaneClientOptions) {
    if (!/^https?:\/\//.test(options.url)) throw new Error(`ControlPlaneClient: url must be http(s), got ${options.url}`);
    this.fetchFn = options.fetchFn ?? fetch;
  }

  get baseUrl(): string {
    return this.options.url;
  }

  async call<S extends z.ZodType>(method: HttpMethod, path: string, schema: S, options: CallOptions = {}): Promise<CallOutcome<z.output<S>>> {
    const raw = await this.send(method, path, options);
    if (!raw.ok) return raw;
    const parsed = schema.safeParse(raw.data);
    if (parsed.success) return { ok: true, status: raw.status, data: parsed.data };
    const where = parsed.error.issues[0]?.path.join('.') || '(root)';
    return {
      ok: false,
      failure: {
        status: raw.status,
        code: 'CONTROL_PLANE_BAD_RESPONSE',
        message: `Unexpected answer from ${method} ${path} (at ${where}: ${parsed.error.issues[0]?.message ?? 'invalid'}): is this MCP server the same version as the control plane?`,
      },
    };
  }

  private async send(method: HttpMethod, path: string, options: CallOptions): Promise<CallOutcome<unknown>> {
    const url = `${this.options.url}${path}${queryString(options.query)}`;
    const timeoutMs = options.long ? this.options.longTimeoutMs : this.options.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(url, {
        method,
        headers: {
          'x-api-key': this.options.apiKey,
          accept: 'application/json',
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        redirect: 'error',
        signal,
      });
      text = await response.text();
    } catch (err) {
      return { ok: false, failure: this.transportFailure(err, timeout.aborted, timeoutMs) };
    }

    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.ok) {
      if (json === undefined) {
        return { ok: false, failure: { status: response.status, code: 'CONTROL_PLANE_BAD_RESPONSE', message: `HTTP ${response.status} from ${method} ${path} without a JSON body` } };
      }
      return { ok: true, status: response.status, data: json };
    }
    const error = errorBodySchema.safeParse(json);
    if (error.success) {
      const { code, message, details } = error.data.error;
      return { ok: false, failure: { status: response.status, code, message, details, hint: hintFor(response.status, details) } };
    }
    return {
      ok: false,
      failure: {
        status: response.status,
        code: 'CONTROL_PLANE_BAD_RESPONSE',
        message: `HTTP ${response.status} from ${method} ${path}, not a Jarvis error answer`,
        hint: `is JARVIS_URL (${this.options.url}) the control plane?`,
      },
    };
  }

  private transportFailure(err: unknown, timedOut: boolean, timeoutMs: number): CallFailure {
    const url = this.options.url;
    if (timedOut) return { code: 'CONTROL_PLANE_TIMEOUT', message: `No answer from the control plane at ${url} within ${timeoutMs} ms` };
    if ((err as { name?: string }).name === 'AbortError') return { code: 'CANCELLED', message: 'The request was cancelled by the MCP client' };
    const { reason, kind } = fetchFailure(err);
    return { code: 'CONTROL_PLANE_UNREACHABLE', message: `Cannot reach the control plane at ${url} (${reason})`, hint: UNREACHABLE_HINTS[kind] };
  }
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** A path segment from a value the tool's schema has already checked; encoded all the same. */
export const segment = (value: string): string => encodeURIComponent(value);

/** Reshapes a successful outcome; failures pass through untouched. */
export function mapOutcome<T, U>(outcome: CallOutcome<T>, map: (data: T) => U): CallOutcome<U> {
  return outcome.ok ? { ok: true, status: outcome.status, data: map(outcome.data) } : outcome;
}
