import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import CircuitBreaker from 'opossum';
import { Pool } from 'undici';
import type { z } from 'zod';
import { AppError, GatewayTimeoutError, UnavailableError } from '../../common/errors';
import { retryAfterMs } from '../../common/http/retry-after';
import type { Logger } from '../../common/logger';
import {
  errorBodySchema,
  executeResponseSchema,
  manifestResponseSchema,
  ACTOR_HEADER,
  OWNED_BY_HEADER,
  REQUEST_ID_HEADER,
  type ExecuteRequest,
  type ExecuteResponse,
  type ModuleManifest,
} from '../../common/protocol';
import type { ControlPlaneConfig } from '../config';
import { connectorWithTimeout } from './connect-timeout';
import { filePageSchema, waveformSchema, type FilePageRecord, type WaveformRecord } from './file-schemas';

export interface CallOptions {
  requestId?: string;
  /** Cancels the call, e.g. when the client that asked for it has gone. */
  signal?: AbortSignal;
  /** Who the action runs for (API key id or agent:<name>), sent as x-jarvis-actor. */
  actor?: string;
  /**
   * The caller may change only what was created for it (a key without the admin scope): sent
   * as x-jarvis-owned-by, equal to `actor`. Undefined: no limit.
   */
  ownedBy?: string;
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
const TIMEOUT = new Set(['ETIMEDOUT']);
/**
 * undici's names for transport failures, mapped to the codes above. Only the socket one can
 * occur: the connect timeout is our connector's (ECONNTIMEOUT) and the call's deadline our
 * timer's (ETIMEDOUT), undici's own header and body timeouts being off.
 */
const UNDICI_CODES: Record<string, string> = { UND_ERR_SOCKET: 'ECONNRESET' };

type Method = 'GET' | 'POST' | 'DELETE';

/** What a call to the DAWG answered: status, headers and the body (parsed JSON, text, or bytes). */
export interface DawgResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: unknown;
}

interface SendExtra {
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  /** Answer's bytes as a Buffer instead of parsed JSON (error answers are still parsed). */
  binary?: boolean;
  /**
   * Answer's body as the stream it arrives on (error answers are still parsed): the call's
   * timeout then covers the exchange up to the response headers, and the caller reads or
   * destroys the stream.
   */
  stream?: boolean;
}
const MANIFEST_TTL_MS = 10_000;
/** A background read of the manifest (for declared timeouts) gives up after this. */
const MANIFEST_READ_MS = 2_000;
/** The longest wait an action may declare (its manifest comes from the DAWG, a trusted service; still bounded). */
const MAX_DECLARED_TIMEOUT_MS = 30 * 60_000;
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

function withQuery(path: string, query: SendExtra['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The DAWG answers JSON; an empty or non-JSON body (something in front of it) is kept as text. */
function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The control plane's client of the AI DAWG: service token, per-call timeout, connect
 * timeout, bounded retries only where no request reached the DAWG (or the call is a read),
 * and a circuit breaker that fails fast while the DAWG is down and lets a probe through
 * after `breakerResetMs` (half-open).
 */
export class ModuleRouter {
  private readonly pool: Pool;
  private readonly breaker: CircuitBreaker<[() => Promise<DawgResponse>], DawgResponse>;
  private manifest: { modules: ModuleManifest[]; fetchedAt: number; timeouts: ReadonlyMap<string, number> } | undefined;
  private manifestRefresh: Promise<void> | undefined;
  /** When a call last asked for the manifest in the background. */
  private manifestAskedAt = 0;
  private openedAt: number | undefined;
  private readonly authorization: string;
  private readonly basePath: string;

  constructor(
    private readonly config: ControlPlaneConfig['dawg'],
    private readonly logger: Logger,
  ) {
    // undici rather than axios on this path: a call costs ~100 µs of CPU against axios's ~300
    // (docs/PERFORMANCE.md), and the DAWG client is the control plane's hottest code. It also
    // has the connect timeout Node's agents lack, so "unreachable" is told apart from "slow".
    const base = new URL(config.baseUrl);
    this.pool = new Pool(base.origin, { connections: 256, connect: connectorWithTimeout(config.connectTimeoutMs) });
    // A DAWG behind a path prefix (https://host/dawg) keeps it, as a base URL would.
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.authorization = `Bearer ${config.serviceToken}`;
    this.breaker = new CircuitBreaker((call: () => Promise<DawgResponse>) => call(), {
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

  /**
   * Runs an action. Without an explicit `timeoutMs`, an action whose manifest entry declares a
   * longer one (a remote generation, a deploy) is given that instead of AI_DAWG_TIMEOUT_MS.
   */
  async execute(request: ExecuteRequest, options: CallOptions = {}): Promise<ExecuteResponse> {
    const declared = options.timeoutMs === undefined ? this.declaredTimeout(request.module, request.action) : undefined;
    return this.parseBody(executeResponseSchema, await this.send('POST', '/api/v1/execute', request, declared === undefined ? options : { ...options, timeoutMs: declared }));
  }

  /** Reads the manifest now, past the breaker (at start-up: a DAWG still starting is no failed call). */
  prefetchManifest(): Promise<void> {
    this.manifestAskedAt = Date.now();
    return (this.manifestRefresh ??= this.refreshManifest(false).finally(() => {
      this.manifestRefresh = undefined;
    }));
  }

  /** The action's declared time when it exceeds the default, from the cached manifest (refreshed in the background when stale). */
  private declaredTimeout(module: string, action: string): number | undefined {
    const cached = this.manifest;
    const now = Date.now();
    // Never while the circuit is not closed (the fetch would take the half-open probe's place),
    // and at most once per TTL whatever the outcome (a DAWG that is down is not asked twice per call).
    if ((!cached || now - cached.fetchedAt >= MANIFEST_TTL_MS) && now - this.manifestAskedAt >= MANIFEST_TTL_MS && !this.breaker.opened && !this.breaker.halfOpen) {
      // Past the breaker: a failed background read is not a failed call of the caller's.
      void this.prefetchManifest();
    }
    const declared = cached?.timeouts.get(`${module}.${action}`);
    return declared !== undefined && declared > this.config.timeoutMs ? declared : undefined;
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
      const res = await this.request('GET', '/health', undefined, { timeoutMs });
      const ok = res.status === 200;
      return { status: ok ? 'ok' : 'down', latencyMs: latency(), breaker: this.breakerState, ...(ok ? {} : { error: `HTTP ${res.status}` }) };
    } catch (err) {
      const failure = this.classify(err);
      return { status: 'down', latencyMs: latency(), breaker: this.breakerState, error: failure instanceof TransportError ? failure.code : failure.message };
    }
  }

  close(): void {
    this.breaker.shutdown();
    void this.pool.destroy().catch(() => undefined);
  }

  /**
   * Reads the manifest. Through the breaker for /status (its failure says the DAWG is
   * unreachable); past it for the declared timeouts, where a failure keeps the copy it has.
   */
  private async refreshManifest(viaBreaker = true): Promise<void> {
    try {
      const response = viaBreaker ? await this.send('GET', '/api/v1/modules', undefined, {}) : await this.request('GET', '/api/v1/modules', undefined, { timeoutMs: MANIFEST_READ_MS });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
      const body = manifestResponseSchema.safeParse(response.data);
      if (!body.success) {
        this.logger.warn('AI DAWG manifest has an unexpected shape');
        return;
      }
      const timeouts = new Map(body.data.modules.flatMap((m) => m.actions.flatMap((a) => (a.timeoutMs ? [[`${m.name}.${a.name}`, Math.min(a.timeoutMs, MAX_DECLARED_TIMEOUT_MS)] as const] : []))));
      this.manifest = { modules: body.data.modules, fetchedAt: Date.now(), timeouts };
    } catch (err) {
      if (viaBreaker) this.manifest = undefined;
      this.logger.debug('AI DAWG manifest unavailable', { reason: (err as Error).message });
    }
  }

  /** Stores a WAV file in the DAWG's file store (validated and measured there); returns its record. */
  async uploadFile(data: Buffer, name: string, options: CallOptions = {}): Promise<unknown> {
    const response = await this.send('POST', '/api/v1/files', data, options, { headers: { 'content-type': 'audio/wav', 'x-file-name': name } });
    return response.data;
  }

  /** Stored files, newest first; `before` is the nextBefore of the previous page. */
  async listFiles(query: { limit?: number; before?: string }, options: CallOptions = {}): Promise<FilePageRecord> {
    const response = await this.send('GET', '/api/v1/files', undefined, options, { query });
    return this.parseBody(filePageSchema, response);
  }

  /** A stored WAV's waveform in `points` buckets, with its loudness curve (computed on the DAWG's audio workers). */
  async waveform(id: string, points: number | undefined, options: CallOptions = {}): Promise<WaveformRecord> {
    const response = await this.send('GET', `/api/v1/files/${encodeURIComponent(id)}/waveform`, undefined, options, { query: { points } });
    return this.parseBody(waveformSchema, response);
  }

  async fileMeta(id: string, options: CallOptions = {}): Promise<unknown> {
    return (await this.send('GET', `/api/v1/files/${encodeURIComponent(id)}/meta`, undefined, options)).data;
  }

  /**
   * A stored file written to `destination` as it arrives, never held whole here, with its size
   * and SHA-256. `destination` must not exist; on failure it may hold part of the file, which
   * the caller removes. Like every call, the whole copy is bounded by the call's timeout and
   * ended by its signal.
   */
  async saveFile(id: string, destination: string, options: CallOptions = {}): Promise<{ bytes: number; sha256: string }> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const deadline = Date.now() + timeoutMs;
    const { body } = await this.streamFile(id, {}, options);
    // One controller for the deadline and the caller (not AbortSignal.any: on Node 20 it keeps
    // a reference per call on a long-lived caller signal, nodejs/node#55351).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, Math.max(1, deadline - Date.now()));
    const onAbort = () => controller.abort();
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    const hash = createHash('sha256');
    let bytes = 0;
    const out = createWriteStream(destination, { flags: 'wx' });
    let diskError: Error | undefined;
    out.once('error', (err) => (diskError = err));
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            hash.update(chunk);
            bytes += chunk.length;
            yield chunk;
          }
        },
        out,
        { signal: controller.signal },
      );
    } catch (err) {
      body.destroy();
      if (options.signal?.aborted) throw new AppError(499, 'CLIENT_CLOSED_REQUEST', 'The call to the AI DAWG was cancelled');
      if (timedOut) throw new GatewayTimeoutError('DAWG_TIMEOUT', `AI DAWG did not send file ${id} within ${timeoutMs} ms`);
      // The file system's errors (disk full, no permission) are ours; a body cut short is the DAWG's.
      if (diskError) throw diskError;
      throw new UnavailableError('DAWG_UNAVAILABLE', `AI DAWG stopped sending file ${id}`, { reason: (err as Error).message });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  /**
   * A stored file's bytes as they arrive from the DAWG, never held whole here. `headers` are the
   * caller's conditional and range headers (Range, If-Range, If-None-Match, If-Modified-Since),
   * so the answer may be 206 or 304; 4xx/5xx answers throw as for every other call.
   */
  async streamFile(id: string, headers: Record<string, string>, options: CallOptions = {}): Promise<{ status: number; headers: DawgResponse['headers']; body: Readable }> {
    const response = await this.send('GET', `/api/v1/files/${encodeURIComponent(id)}`, undefined, options, { headers, stream: true });
    return { status: response.status, headers: response.headers, body: response.data as Readable };
  }

  /** GET of a DAWG resource as JSON (e.g. stored dashboards); `path` is the DAWG's own path, components encoded by the caller. */
  async getJson(path: string, query: Record<string, string | number | undefined>, options: CallOptions = {}): Promise<unknown> {
    return (await this.send('GET', path, undefined, options, { query })).data;
  }

  /** GET of a DAWG resource's bytes with the headers that describe them. */
  async download(path: string, options: CallOptions = {}): Promise<{ data: Buffer; contentType: string; disposition?: string; sha256?: string }> {
    const response = await this.send('GET', path, undefined, options, { binary: true });
    const header = (name: string) => (typeof response.headers[name] === 'string' ? (response.headers[name] as string) : undefined);
    return { data: response.data as Buffer, contentType: header('content-type') ?? 'application/octet-stream', disposition: header('content-disposition'), sha256: header('x-content-sha256') };
  }

  /** `ownedBy`: delete only if the file was stored by this caller (403 otherwise); undefined deletes any. */
  async deleteFile(id: string, ownedBy: string | undefined, options: CallOptions = {}): Promise<void> {
    await this.deleteResource(`/api/v1/files/${encodeURIComponent(id)}`, ownedBy, options);
  }

  /**
   * DELETE of a DAWG resource (e.g. a stored dashboard); `path` is the DAWG's own path,
   * components encoded by the caller. `ownedBy`: delete only if the resource was created for
   * this caller (the DAWG answers 403 otherwise); undefined deletes any.
   */
  async deleteResource(path: string, ownedBy: string | undefined, options: CallOptions = {}): Promise<void> {
    await this.send('DELETE', path, undefined, options, { query: { ownedBy } });
  }

  private parseBody<S extends z.ZodType>(schema: S, response: DawgResponse): z.output<S> {
    const body = schema.safeParse(response.data);
    if (!body.success) throw new AppError(502, 'DAWG_BAD_RESPONSE', 'AI DAWG answered with an unexpected body');
    return body.data;
  }

  private async send(method: Method, url: string, data: unknown, options: CallOptions, extra: SendExtra = {}): Promise<DawgResponse> {
    let response: DawgResponse;
    try {
      response = await this.breaker.fire(() => this.withRetries(method, url, data, options, extra));
    } catch (err) {
      throw this.toAppError(err, options.timeoutMs ?? this.config.timeoutMs);
    }
    if (response.status < 400) return response;
    throw this.fromErrorResponse(response);
  }

  private async withRetries(method: Method, url: string, data: unknown, options: CallOptions, extra: SendExtra = {}): Promise<DawgResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.request(method, url, data, options, extra);
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

  /**
   * One HTTP exchange with the DAWG, whatever its status. The whole exchange (connect, headers
   * and body) is bounded by the call's timeout; the caller's signal cancels it, closing the
   * connection so the DAWG sees the client go.
   */
  private async request(method: Method, url: string, data: unknown, options: CallOptions, extra: SendExtra = {}): Promise<DawgResponse> {
    const headers: Record<string, string> = { authorization: this.authorization, ...extra.headers };
    if (options.requestId) headers[REQUEST_ID_HEADER] = options.requestId;
    if (options.actor) headers[ACTOR_HEADER] = options.actor;
    if (options.ownedBy !== undefined) headers[OWNED_BY_HEADER] = options.ownedBy;
    let body: string | Buffer | undefined;
    if (Buffer.isBuffer(data)) body = data;
    else if (data !== undefined) {
      body = JSON.stringify(data);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TransportError('ETIMEDOUT', `timeout of ${timeoutMs} ms exceeded`)), timeoutMs);
    const caller = options.signal;
    const onAbort = () => controller.abort(new AppError(499, 'CLIENT_CLOSED_REQUEST', 'The call to the AI DAWG was cancelled'));
    if (caller?.aborted) onAbort();
    else caller?.addEventListener('abort', onAbort, { once: true });
    try {
      const res = await this.pool.request({ method, path: this.basePath + withQuery(url, extra.query), headers, body, signal: controller.signal, headersTimeout: 0, bodyTimeout: 0 });
      if (extra.stream && res.statusCode < 400) return { status: res.statusCode, headers: res.headers, data: res.body };
      const bytes = Buffer.from(await res.body.arrayBuffer());
      const binary = extra.binary && res.statusCode < 400;
      return { status: res.statusCode, headers: res.headers, data: binary ? bytes : parseJson(bytes) };
    } catch (err) {
      throw controller.signal.aborted ? controller.signal.reason : err;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  }

  private classify(err: unknown): Error {
    if (err instanceof TransportError || err instanceof AppError) return err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return new TransportError(UNDICI_CODES[code] ?? code, (err as Error).message);
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
  private fromErrorResponse(response: DawgResponse): AppError {
    const parsed = errorBodySchema.safeParse(response.data);
    const upstream = parsed.success ? parsed.data.error : { code: 'UNKNOWN', message: `HTTP ${response.status}` };
    // Only the DAWG's own token check answers 401. A 403 with a body is an action's refusal
    // (the firewall denying a devops command) and is the caller's to see.
    if (response.status === 401 || (response.status === 403 && !parsed.success)) {
      this.logger.error('AI DAWG rejected the service token: AI_DAWG_SERVICE_TOKEN differs between the services');
      return new AppError(502, 'DAWG_AUTH_FAILED', 'The control plane is not authorised by the AI DAWG (service token mismatch)');
    }
    // When to try again (a song provider rate limiting the DAWG), as the DAWG said it: passed on.
    const waitMs = retryAfterMs(response.headers['retry-after']);
    const retryAfter = waitMs === undefined ? undefined : { retryAfterSeconds: Math.ceil(waitMs / 1000) };
    // A module saying an action is not implemented (501) or cannot serve now (503/504) is the caller's to see.
    if (parsed.success && (response.status === 501 || response.status === 503 || response.status === 504)) {
      return new AppError(response.status, upstream.code, upstream.message, upstream.details, retryAfter);
    }
    if (response.status >= 500) {
      return new AppError(502, 'DAWG_ERROR', `AI DAWG failed: ${upstream.message}`, { upstreamStatus: response.status, upstreamCode: upstream.code });
    }
    return new AppError(response.status, upstream.code, upstream.message, upstream.details, retryAfter);
  }
}
