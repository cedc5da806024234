import axios, { type AxiosInstance, type AxiosRequestConfig } from 'axios';
import type { z } from 'zod';
import {
  ProviderAuthFailedError,
  ProviderBadResponseError,
  ProviderFailedError,
  ProviderRateLimitedError,
  ProviderTimeoutError,
  ProviderUnavailableError,
} from './provider-errors';
import type { SongProviderConfig, SongProviderOptions } from './song-provider';
import { assertWav } from './wav-magic';
import { retryAfterMs } from '../../common/http/retry-after';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface JsonRequest {
  method: 'GET' | 'POST';
  path: string;
  params?: Record<string, string>;
  body?: unknown;
}

/**
 * One `generate` call against one provider: it owns the overall deadline and the caller's
 * abort signal, so every request, poll wait and download below stops on either.
 */
export class ProviderCall {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly unlink: () => void;
  private readonly baseUrl: string;
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly provider: 'suno' | 'udio',
    private readonly config: SongProviderConfig,
    options: SongProviderOptions,
    private readonly http: AxiosInstance,
    callerSignal: AbortSignal,
  ) {
    this.baseUrl = config.baseUrl.replace(/\/+$/, '');
    this.allowedOrigins = new Set([new URL(config.baseUrl).origin, ...(options.allowedAudioOrigins ?? []).map((o) => new URL(o).origin)]);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // The caller's reason wins (task-runner convention: abort rejects with signal.reason).
    const onAbort = () => this.controller.abort(callerSignal.reason);
    if (callerSignal.aborted) onAbort();
    else callerSignal.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => callerSignal.removeEventListener('abort', onAbort);
    this.timer = setTimeout(() => this.controller.abort(new ProviderTimeoutError(provider, config.timeoutMs)), config.timeoutMs);
  }

  /** Releases the deadline timer and the listener on the caller's signal. */
  dispose(): void {
    clearTimeout(this.timer);
    this.unlink();
  }

  /** Sends one authenticated JSON request and validates the answer with `schema`. */
  async json<S extends z.ZodType>(req: JsonRequest, schema: S, what: string): Promise<z.output<S>> {
    const raw = await this.send<string>({
      method: req.method,
      url: this.baseUrl + req.path,
      params: req.params,
      data: req.body,
      headers: { Authorization: `Bearer ${this.config.apiKey}`, Accept: 'application/json' },
      responseType: 'text',
      transformResponse: (data: unknown) => data,
    });
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ProviderBadResponseError(this.provider, `${what}: body is not JSON`);
    }
    return validateAnswer(this.provider, what, schema, value);
  }

  /** Calls `fetch` every pollIntervalMs until `settled` says so; bounded by the deadline. */
  async poll<T>(fetch: () => Promise<T>, settled: (value: T) => boolean): Promise<T> {
    for (;;) {
      const value = await fetch();
      if (settled(value)) return value;
      await this.sleep(this.config.pollIntervalMs);
    }
  }

  /**
   * Downloads a WAV from an allowed origin. Redirects are not followed (they could leave the
   * allowed origins), the body is capped at maxBytes, and the key is sent only to the API origin.
   */
  async downloadWav(url: string): Promise<Buffer> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new ProviderBadResponseError(this.provider, 'audio URL is not a valid URL', 'audioUrl');
    }
    if (!this.allowedOrigins.has(target.origin)) {
      throw new ProviderBadResponseError(this.provider, `audio URL origin ${target.origin} is not allowed`, 'audioUrl');
    }
    const sameOrigin = target.origin === new URL(this.config.baseUrl).origin;
    const body = await this.send<ArrayBuffer>({
      method: 'GET',
      url: target.href,
      headers: sameOrigin ? { Authorization: `Bearer ${this.config.apiKey}` } : {},
      responseType: 'arraybuffer',
      maxContentLength: this.config.maxBytes,
    });
    const audio = Buffer.from(body);
    assertWav(this.provider, audio);
    return audio;
  }

  /** Replaces the API key wherever a provider echoes it back in a message. */
  redact(text: string): string {
    return text.split(this.config.apiKey).join('[redacted]');
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.controller.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private async send<T>(request: AxiosRequestConfig): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) throw signal.reason;
    try {
      const res = await this.http.request<T>({ ...request, signal, timeout: this.requestTimeoutMs, maxRedirects: 0 });
      return res.data;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw this.mapHttpError(err);
    }
  }

  private mapHttpError(err: unknown): unknown {
    if (!axios.isAxiosError(err)) return err;
    const res = err.response;
    if (!res) {
      if (/maxContentLength/.test(err.message)) {
        return new ProviderBadResponseError(this.provider, `audio is larger than ${this.config.maxBytes} bytes`, 'audio');
      }
      const reason = err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' ? 'request timed out' : (err.code ?? 'network error');
      return new ProviderUnavailableError(this.provider, reason);
    }
    const status = res.status;
    if (status === 401 || status === 403) return new ProviderAuthFailedError(this.provider, status);
    if (status === 429) return new ProviderRateLimitedError(this.provider, parseRetryAfter(res.headers['retry-after']));
    if (status >= 500) return new ProviderUnavailableError(this.provider, `HTTP ${status}`);
    if (status >= 300 && status < 400) return new ProviderBadResponseError(this.provider, `unexpected redirect (HTTP ${status})`);
    return new ProviderFailedError(this.provider, this.redact(errorMessageOf(res.data) ?? `HTTP ${status}`), { httpStatus: status });
  }
}

/** Validates a provider answer; a mismatch names the first offending field (`prefix` + zod path). */
export function validateAnswer<S extends z.ZodType>(provider: string, what: string, schema: S, value: unknown, prefix = ''): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  const field = path === '' ? '(body)' : path;
  throw new ProviderBadResponseError(provider, `${what}: field "${field}": ${issue?.message ?? 'invalid'}`, field);
}

/** Retry-After in whole seconds (rounded up), as ProviderRateLimitedError carries it. */
export function parseRetryAfter(header: unknown, now = Date.now()): number | undefined {
  const ms = retryAfterMs(header, now);
  return ms === undefined ? undefined : Math.ceil(ms / 1000);
}

function errorMessageOf(data: unknown): string | undefined {
  const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8') : undefined;
  if (!text) return undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (body && typeof body === 'object') {
      const b = body as { msg?: unknown; message?: unknown; error?: { message?: unknown } };
      const msg = b.msg ?? b.message ?? b.error?.message;
      if (typeof msg === 'string') return msg.slice(0, 500);
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.slice(0, 200);
}
