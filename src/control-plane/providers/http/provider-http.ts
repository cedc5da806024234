import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { z } from 'zod';
import type { ProviderName } from '../provider-types';
import { errorFromResponse } from './error-mapping';
import { parseAnswer } from './parse-answer';
import { ProviderAttempt } from './provider-attempt';
import { readServerSentEvents, type EventSourceMessage } from './sse';

export const DEFAULT_PROVIDER_TIMEOUT_MS = 60_000;
/** Enough of an error body to read its message; the rest is dropped. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

export interface ProviderHttpOptions {
  provider: ProviderName;
  /** Origin (and optional path prefix) of the API, without the `/v1...` endpoint path. */
  baseUrl: string;
  /** Authentication and version headers sent on every request. */
  headers: Record<string, string>;
  /** Values that must never appear in an error message (the API key). */
  secrets: readonly string[];
  /** Timeout when a request names none. */
  defaultTimeoutMs?: number;
  /** Injected for tests or a shared agent; defaults to a fresh axios instance. */
  http?: AxiosInstance;
}

/** What every hosted provider's factory takes. */
export interface ProviderClientOptions {
  apiKey: string;
  /** Defaults to the provider's public API; tests point it at a local fake. */
  baseUrl?: string;
  defaultTimeoutMs?: number;
  http?: AxiosInstance;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * The one HTTP layer every provider client uses: uniform timeouts, abort, status mapping and
 * secret redaction, and no retries (the router retries and falls back). Statuses are never
 * thrown by axios (`validateStatus: () => true`); we map them ourselves.
 */
export class ProviderHttp {
  readonly provider: ProviderName;
  private readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly defaultTimeoutMs: number;
  private readonly secrets: readonly string[];

  constructor(private readonly options: ProviderHttpOptions) {
    this.provider = options.provider;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.http = options.http ?? axios.create();
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
    this.secrets = options.secrets.filter((s) => s.length > 0);
  }

  /** POSTs JSON and validates the 2xx answer with `schema` (`what` names the endpoint in errors). */
  async postJson<S extends z.ZodType>(path: string, body: unknown, schema: S, what: string, call: CallOptions): Promise<z.output<S>> {
    const attempt = this.startAttempt(call);
    try {
      attempt.throwIfAborted();
      const res = await this.http.request<string>({
        ...this.requestConfig(path, body, attempt.signal, 'application/json'),
        responseType: 'text',
        transformResponse: (data: unknown) => data,
      });
      if (res.status < 200 || res.status >= 300) throw this.failure(res, String(res.data ?? ''));
      return parseAnswer(this.provider, what, schema, String(res.data ?? ''));
    } catch (err) {
      throw attempt.translate(err);
    } finally {
      attempt.dispose();
    }
  }

  /**
   * POSTs JSON and yields the server-sent events of a 2xx answer. A non-2xx answer (read
   * before the first event) becomes a ProviderError; so do a timeout, an abort or a dropped
   * connection mid-stream. Leaving the loop early closes the connection.
   */
  async *postStream(path: string, body: unknown, call: CallOptions): AsyncGenerator<EventSourceMessage> {
    const attempt = this.startAttempt(call);
    let stream: Readable | undefined;
    try {
      attempt.throwIfAborted();
      const res = await this.http.request<Readable>({
        ...this.requestConfig(path, body, attempt.signal, 'text/event-stream'),
        responseType: 'stream',
      });
      const data = res.data;
      stream = data;
      attempt.onAbort(() => data.destroy());
      if (res.status < 200 || res.status >= 300) throw this.failure(res, await readCapped(data, MAX_ERROR_BODY_BYTES));
      attempt.arm();
      for await (const event of readServerSentEvents(data, () => attempt.arm())) {
        attempt.pause();
        yield event;
        attempt.arm();
      }
      // A stream destroyed by our timer or the caller may end quietly rather than throw.
      if (attempt.signal.aborted) throw new Error('stream cancelled');
    } catch (err) {
      throw attempt.translate(err);
    } finally {
      stream?.destroy();
      attempt.dispose();
    }
  }

  /** Replaces every configured secret in text that came from the provider. */
  redact(text: string): string {
    return this.secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
  }

  private startAttempt(call: CallOptions): ProviderAttempt {
    return new ProviderAttempt(this.provider, call.timeoutMs ?? this.defaultTimeoutMs, call.signal);
  }

  private requestConfig(path: string, body: unknown, signal: AbortSignal, accept: string) {
    return {
      method: 'POST' as const,
      url: this.baseUrl + path,
      data: body,
      headers: { ...this.options.headers, 'content-type': 'application/json', accept },
      signal,
      maxRedirects: 0,
      validateStatus: () => true,
    };
  }

  private failure(res: AxiosResponse, bodyText: string) {
    const header = (name: string): string | undefined => {
      const value: unknown = res.headers[name];
      if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : undefined;
      return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
    };
    return errorFromResponse(this.provider, { status: res.status, header, bodyText }, (text) => this.redact(text));
  }
}

async function readCapped(stream: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buf);
    size += buf.length;
    if (size >= maxBytes) break;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, maxBytes);
}
