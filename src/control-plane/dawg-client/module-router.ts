import type { Agent } from 'node:http';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import CircuitBreaker from 'opossum';
import type { z } from 'zod';
import { AppError, GatewayTimeoutError, UnavailableError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import {
  errorBodySchema,
  executeResponseSchema,
  manifestResponseSchema,
  ACTOR_HEADER,
  REQUEST_ID_HEADER,
  type ExecuteRequest,
  type ExecuteResponse,
  type ModuleManifest,
} from '../../common/protocol';
import type { ControlPlaneConfig } from '../config';
import { createAgent } from './connect-timeout-agent';
import { filePageSchema, waveformSchema, type FilePageRecord, type WaveformRecord } from './file-schemas';

export interface CallOptions {
  requestId?: string;
  /** Cancels the call, e.g. when the client that asked for it has gone. */
  signal?: AbortSignal;
  /** Who the action runs for (API key id or agent:<name>), sent as x-jarvis-actor. */
  actor?: string;
  /** This call's limit instead of AI_DAWG_TIMEOUT_MS, for actions known to run long (a deploy that waits for its health check). */
  timeoutMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface DawgProbe {
  status: 'ok' | 'down';
  latencyMs: number;
  breaker: BreakerState;
  error?: string;
}

export interface ModulesView {
  reachable: boolean;
  modules: ModuleManifest[];
}

/** Errors that mean the request never reached the DAWG, so a retry cannot run an action twice. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ECONNTIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT = new Set(['ECONNABORTED', 'ETIMEDOUT']);
const MANIFEST_TTL_MS = 10_000;
const GATEWAY_FAILURES = new Set([502, 503, 504]);

/** A transport failure: what the circuit breaker counts. HTTP answers (even 4xx) are not failures. */
class TransportError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The control plane's client of the AI DAWG: service token, per-call timeout, connect
 * timeout, bounded retries only where no request reached the DAWG (or the call is a read),
 * and a circuit breaker that fails fast while the DAWG is down and lets a probe through
 * after `breakerResetMs` (half-open).
 */
export class ModuleRouter {
  private readonly http: AxiosInstance;
  private readonly agent: Agent;
  private readonly breaker: CircuitBreaker<[() => Promise<AxiosResponse>], AxiosResponse>;
  private manifest: { modules: ModuleManifest[]; fetchedAt: number } | undefined;
  private manifestRefresh: Promise<void> | undefined;
  private openedAt: number | undefined;

  constructor(
    private readonly config: ControlPlaneConfig['dawg'],
    private readonly logger: Logger,
  ) {
    this.agent = createAgent(config.baseUrl, config.connectTimeoutMs);
    this.http = axios.create({
      baseURL: config.baseUrl,
      timeout: config.timeoutMs,
      httpAgent: this.agent,
      httpsAgent: this.agent,
      headers: { authorization: `Bearer ${config.serviceToken}` },
      validateStatus: () => true,
      maxRedirects: 0,
      proxy: false,
    });
    this.breaker = new CircuitBreaker((call: () => Promise<AxiosResponse>) => call(), {
      timeout: false,
      resetTimeout: config.breakerResetMs,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      rollingCountTimeout: 10_000,
      // The percentile stats sort every latency in the window on each read (~1 ms at 1,000
      // req/s, and on every failure); we use none of them.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: (err: unknown) => !(err instanceof TransportError),
    });
    this.breaker.on('open', () => {
      // A failed half-open probe re-opens it: the outage still dates from the first opening.
      this.openedAt ??= Date.now();
      logger.warn('AI DAWG circuit opened', { resetMs: config.breakerResetMs });
    });
    this.breaker.on('halfOpen', () => logger.info('AI DAWG circuit half-open: probing'));
    this.breaker.on('close', () => {
      this.openedAt = undefined;
      logger.info('AI DAWG circuit closed');
    });
  }

  get breakerState(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** When the breaker last went from closed to open (epoch ms); undefined while it is closed. */
  get breakerOpenedAt(): number | undefined {
    return this.openedAt;
  }

  async execute(request: ExecuteRequest, options: CallOptions = {}): Promise<ExecuteResponse> {
    return this.parseBody(executeResponseSchema, await this.send('POST', '/api/v1/execute', request, options));
  }

  /** The DAWG's module manifest, cached; a stale copy is served while a fresh one is fetched. */
  async modules(): Promise<ModulesView> {
    const cached = this.manifest;
    if (cached && Date.now() - cached.fetchedAt < MANIFEST_TTL_MS) return { reachable: true, modules: cached.modules };
    this.manifestRefresh ??= this.refreshManifest().finally(() => {
      this.manifestRefresh = undefined;
    });
    if (!cached) await this.manifestRefresh;
    return this.manifest ? { reachable: true, modules: this.manifest.modules } : { reachable: false, modules: [] };
  }

  /** A direct health probe that bypasses the breaker, so health reports what is true now. */
  async probe(timeoutMs = 1_000): Promise<DawgProbe> {
    const started = performance.now();
    const latency = () => Math.round((performance.now() - started) * 100) / 100;
    try {
      const res = await this.http.get('/health', { timeout: timeoutMs });
      const ok = res.status === 200;
      return { status: ok ? 'ok' : 'down', latencyMs: latency(), breaker: this.breakerState, ...(ok ? {} : { error: `HTTP ${res.status}` }) };
    } catch (err) {
      return { status: 'down', latencyMs: latency(), breaker: this.breakerState, error: axios.isAxiosError(err) ? (err.code ?? err.message) : String(err) };
    }
  }

  close(): void {
    this.breaker.shutdown();
    this.agent.destroy();
  }

  private async refreshManifest(): Promise<void> {
    try {
      const response = await this.send('GET', '/api/v1/modules', undefined, {});
      const body = manifestResponseSchema.safeParse(response.data);
      if (body.success) this.manifest = { modules: body.data.modules, fetchedAt: Date.now() };
      else this.logger.warn('AI DAWG manifest has an unexpected shape');
    } catch (err) {
      this.manifest = undefined;
      this.logger.debug('AI DAWG manifest unavailable', { reason: (err as Error).message });
    }
  }

  /** Stores a WAV file in the DAWG's file store (validated and measured there); returns its record. */
  async uploadFile(data: Buffer, name: string, options: CallOptions = {}): Promise<unknown> {
    const response = await this.send('POST', '/api/v1/files', data, options, {
      headers: { 'content-type': 'audio/wav', 'x-file-name': name },
      maxBodyLength: Infinity,
    });
    return response.data;
  }

  /** Stored files, newest first; `before` is the nextBefore of the previous page. */
  async listFiles(query: { limit?: number; before?: string }, options: CallOptions = {}): Promise<FilePageRecord> {
    const response = await this.send('GET', '/api/v1/files', undefined, options, { params: query });
    return this.parseBody(filePageSchema, response);
  }

  /** A stored WAV's waveform in `points` buckets, with its loudness curve (computed on the DAWG's audio workers). */
  async waveform(id: string, points: number | undefined, options: CallOptions = {}): Promise<WaveformRecord> {
    const response = await this.send('GET', `/api/v1/files/${encodeURIComponent(id)}/waveform`, undefined, options, { params: { points } });
    return this.parseBody(waveformSchema, response);
  }

  async fileMeta(id: string, options: CallOptions = {}): Promise<unknown> {
    return (await this.send('GET', `/api/v1/files/${encodeURIComponent(id)}/meta`, undefined, options)).data;
  }

  /** A stored file's bytes and the headers that describe them. */
  async downloadFile(id: string, options: CallOptions = {}): Promise<{ data: Buffer; contentType: string; disposition?: string; sha256?: string }> {
    return this.download(`/api/v1/files/${encodeURIComponent(id)}`, options);
  }

  /** GET of a DAWG resource as JSON (e.g. stored dashboards); `path` is the DAWG's own path, components encoded by the caller. */
  async getJson(path: string, query: Record<string, string | number | undefined>, options: CallOptions = {}): Promise<unknown> {
    return (await this.send('GET', path, undefined, options, { params: query })).data;
  }

  /** GET of a DAWG resource's bytes with the headers that describe them. */
  async download(path: string, options: CallOptions = {}): Promise<{ data: Buffer; contentType: string; disposition?: string; sha256?: string }> {
    const response = await this.send('GET', path, undefined, options, { responseType: 'arraybuffer', maxContentLength: Infinity });
    const header = (name: string) => (typeof response.headers[name] === 'string' ? (response.headers[name] as string) : undefined);
    return { data: Buffer.from(response.data as ArrayBuffer), contentType: header('content-type') ?? 'application/octet-stream', disposition: header('content-disposition'), sha256: header('x-content-sha256') };
  }

  async deleteFile(id: string, options: CallOptions = {}): Promise<void> {
    await this.send('DELETE', `/api/v1/files/${encodeURIComponent(id)}`, undefined, options);
  }

  private parseBody<S extends z.ZodType>(schema: S, response: AxiosResponse): z.output<S> {
    const body = schema.safeParse(response.data);
    if (!body.success) throw new AppError(502, 'DAWG_BAD_RESPONSE', 'AI DAWG answered with an unexpected body');
    return body.data;
  }

  private async send(method: 'GET' | 'POST' | 'DELETE', url: string, data: unknown, options: CallOptions, extra: AxiosRequestConfig = {}): Promise<AxiosResponse> {
    let response: AxiosResponse;
    try {
      response = await this.breaker.fire(() => this.withRetries(method, url, data, options, extra));
    } catch (err) {
      throw this.toAppError(err, options.timeoutMs ?? this.config.timeoutMs);
    }
    if (response.status < 400) return response;
    throw this.fromErrorResponse(response);
  }

  private async withRetries(method: 'GET' | 'POST' | 'DELETE', url: string, data: unknown, options: CallOptions, extra: AxiosRequestConfig = {}): Promise<AxiosResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.http.request({
          ...extra,
          method,
          url,
          data,
          signal: options.signal,
          ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
          headers: {
            ...(extra.headers as Record<string, string> | undefined),
            ...(options.requestId ? { [REQUEST_ID_HEADER]: options.requestId } : {}),
            ...(options.actor ? { [ACTOR_HEADER]: options.actor } : {}),
          },
        });
        // Binary answers (downloads) carry their errors as JSON bytes: read them as the rest.
        if (response.status >= 400 && (response.data instanceof ArrayBuffer || Buffer.isBuffer(response.data))) {
          try {
            response.data = JSON.parse(Buffer.from(response.data as ArrayBuffer).toString('utf8'));
          } catch {
            response.data = undefined;
          }
        }
        // A 502/503/504 without our error body comes from something in front of the DAWG (or a
        // DAWG that is going down): the DAWG is not serving. One with a body is a module saying
        // that *it* cannot serve, which is the caller's to see and no reason to open the circuit.
        if (GATEWAY_FAILURES.has(response.status) && !errorBodySchema.safeParse(response.data).success) {
          throw new TransportError('EUPSTREAM', `AI DAWG answered HTTP ${response.status}`);
        }
        return response;
      } catch (err) {
        const failure = this.classify(err);
        const retryable =
          failure instanceof TransportError && (NOT_SENT.has(failure.code) || (method === 'GET' && !TIMEOUT.has(failure.code)));
        if (!retryable || attempt >= this.config.retries || options.signal?.aborted) throw failure;
        await sleep(50 * 2 ** attempt);
      }
    }
  }

  private classify(err: unknown): Error {
    if (err instanceof TransportError) return err;
    if (axios.isCancel(err)) return new AppError(499, 'CLIENT_CLOSED_REQUEST', 'The call to the AI DAWG was cancelled');
    if (axios.isAxiosError(err)) {
      const code = err.code ?? 'EUNKNOWN';
      return new TransportError(code, err.message);
    }
    return err as Error;
  }

  private toAppError(err: unknown, timeoutMs: number): Error {
    if (err instanceof AppError) return err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'EOPENBREAKER') {
      return new UnavailableError(
        'DAWG_UNAVAILABLE',
        'AI DAWG is unavailable; calls are paused while its circuit is open',
        { breaker: 'open', retryAfterMs: this.config.breakerResetMs },
        { retryAfterSeconds: Math.ceil(this.config.breakerResetMs / 1000) },
      );
    }
    if (TIMEOUT.has(code)) {
      return new GatewayTimeoutError('DAWG_TIMEOUT', `AI DAWG did not answer within ${timeoutMs} ms`);
    }
    if (err instanceof TransportError) {
      return new UnavailableError('DAWG_UNAVAILABLE', 'AI DAWG is unreachable', { reason: err.code });
    }
    return err as Error;
  }

  /**
   * DAWG 4xx answers, and a module's own 503/504, are the caller's to see, details and all;
   * our own misconfiguration and DAWG crashes are not.
   */
  private fromErrorResponse(response: AxiosResponse): AppError {
    const parsed = errorBodySchema.safeParse(response.data);
    const upstream = parsed.success ? parsed.data.error : { code: 'UNKNOWN', message: `HTTP ${response.status}` };
    // Only the DAWG's own token check answers 401. A 403 with a body is an action's refusal
    // (the firewall denying a devops command) and is the caller's to see.
    if (response.status === 401 || (response.status === 403 && !parsed.success)) {
      this.logger.error('AI DAWG rejected the service token: AI_DAWG_SERVICE_TOKEN differs between the services');
      return new AppError(502, 'DAWG_AUTH_FAILED', 'The control plane is not authorised by the AI DAWG (service token mismatch)');
    }
    // A module saying an action is not implemented (501) or cannot serve now (503/504) is the caller's to see.
    if (parsed.success && (response.status === 501 || response.status === 503 || response.status === 504)) {
      return new AppError(response.status, upstream.code, upstream.message, upstream.details);
    }
    if (response.status >= 500) {
      return new AppError(502, 'DAWG_ERROR', `AI DAWG failed: ${upstream.message}`, { upstreamStatus: response.status, upstreamCode: upstream.code });
    }
    return new AppError(response.status, upstream.code, upstream.message, upstream.details);
  }
}
