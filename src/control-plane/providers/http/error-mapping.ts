import { z } from 'zod';
import { ProviderError, type ProviderName } from '../provider-types';
import { retryAfterMs } from '../../../common/http/retry-after';

/**
 * Turns a provider's non-2xx answer into a ProviderError. One mapping for every provider, so
 * the router sees the same kinds whichever API failed.
 */

const MAX_MESSAGE_CHARS = 300;

/** FastAPI validation detail: a string or `[{ msg }]`. */
const DetailSchema = z.union([z.string(), z.array(z.object({ msg: z.string().optional() }))]);

/**
 * The error bodies the providers document, loosely: we only read what helps a human, and a
 * field of an unexpected shape is dropped (`.catch`) rather than losing the others.
 */
const ErrorBodySchema = z.object({
  // OpenAI {error:{message,type,code}}, Anthropic {type:'error',error:{type,message}},
  // Gemini {error:{code:number,message,status,details}}.
  error: z
    .union([
      z.string(),
      z.object({
        message: z.string().optional().catch(undefined),
        code: z.union([z.string(), z.number()]).nullish().catch(undefined),
        status: z.string().optional().catch(undefined),
        type: z.string().optional().catch(undefined),
        details: z.array(z.object({ retryDelay: z.string().optional() })).optional().catch(undefined),
      }),
    ])
    .optional()
    .catch(undefined),
  // Mistral {object:'error',message,type,code}, whose 422 message is {detail:[{msg}]};
  // LlamaCloud/FastAPI {detail}.
  message: z.union([z.string(), z.object({ detail: DetailSchema })]).optional().catch(undefined),
  type: z.string().optional().catch(undefined),
  code: z.union([z.string(), z.number()]).nullish().catch(undefined),
  detail: DetailSchema.optional().catch(undefined),
});

function detailText(detail: z.infer<typeof DetailSchema> | undefined): string | undefined {
  if (!Array.isArray(detail)) return detail;
  const text = detail
    .map((d) => d.msg ?? '')
    .filter(Boolean)
    .join('; ');
  return text === '' ? undefined : text;
}

export interface ErrorBodyInfo {
  message?: string;
  code?: string;
  /** Gemini puts the wait in the body (google.rpc.RetryInfo `retryDelay: "12s"`) rather than a header. */
  retryDelayMs?: number;
}

/** Reads message, code and retry hint from whichever documented error shape the body has. */
export function describeErrorBody(text: string): ErrorBodyInfo {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const trimmed = text.trim();
    return trimmed === '' ? {} : { message: trimmed.slice(0, MAX_MESSAGE_CHARS) };
  }
  if (typeof json === 'string') return { message: json.slice(0, MAX_MESSAGE_CHARS) };
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return {};
  const body = parsed.data;
  const inner = typeof body.error === 'object' ? body.error : undefined;
  const topMessage = typeof body.message === 'object' ? detailText(body.message.detail) : body.message;
  const message = inner?.message ?? (typeof body.error === 'string' ? body.error : undefined) ?? topMessage ?? detailText(body.detail);
  const code = [inner?.code, inner?.status, inner?.type, body.code, body.type].find((c) => typeof c === 'string' && c !== '');
  const delay = inner?.details?.find((d) => d.retryDelay !== undefined)?.retryDelay;
  return { message, code: typeof code === 'string' ? code : undefined, retryDelayMs: parseDurationMs(delay) };
}

/** `"12s"` / `"1.5s"` (protobuf Duration as JSON) → milliseconds. */
function parseDurationMs(value: string | undefined): number | undefined {
  const match = value ? /^(\d+(?:\.\d+)?)s$/.exec(value.trim()) : null;
  return match ? Math.round(Number(match[1]) * 1000) : undefined;
}

/** Reads one response header by lower-case name (first value if repeated). */
export type HeaderReader = (name: string) => string | undefined;

/**
 * How long the provider asked us to wait. OpenAI also sends `retry-after-ms` (more precise,
 * preferred, as its own SDK does); `Retry-After` is delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 */
export function parseRetryAfterMs(header: HeaderReader, now = Date.now()): number | undefined {
  const ms = header('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  return retryAfterMs(header('retry-after'), now);
}

export interface HttpFailure {
  status: number;
  header: HeaderReader;
  bodyText: string;
}

/**
 * Maps a non-2xx answer. Authentication failures never repeat the provider's message: OpenAI's
 * echoes part of the key ("Incorrect API key provided: sk-ab***yz").
 */
export function errorFromResponse(provider: ProviderName, failure: HttpFailure, redact: (text: string) => string): ProviderError {
  const { status } = failure;
  const info = describeErrorBody(failure.bodyText);
  const providerCode = info.code ? redact(info.code) : undefined;
  const said = info.message ? `: ${redact(info.message).slice(0, MAX_MESSAGE_CHARS)}` : '';
  const base = { status, ...(providerCode ? { providerCode } : {}) };
  if (status === 401 || status === 403) {
    return new ProviderError(provider, 'auth', `${provider} rejected the credentials (HTTP ${status})`, base);
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(failure.header) ?? info.retryDelayMs;
    return new ProviderError(provider, 'rate_limited', `${provider} rate limit (HTTP 429)${said}`, {
      ...base,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  }
  if (status >= 500) return new ProviderError(provider, 'server', `${provider} server error (HTTP ${status})${said}`, base);
  if (status === 408) return new ProviderError(provider, 'timeout', `${provider} request timeout (HTTP 408)${said}`, base);
  if (status >= 300 && status < 400) {
    return new ProviderError(provider, 'bad_response', `${provider} answered a redirect (HTTP ${status}); not followed`, base);
  }
  return new ProviderError(provider, 'bad_request', `${provider} refused the request (HTTP ${status})${said}`, base);
}

/** Connection-level failures (no HTTP answer). Only the error code is kept: axios errors carry the request headers. */
export function networkError(provider: ProviderName, code: string | undefined): ProviderError {
  return new ProviderError(provider, 'network', `${provider} unreachable (${code ?? 'network error'})`);
}

/**
 * An error event inside a 2xx stream (Anthropic `event: error`, OpenAI/Gemini `data: {"error":…}`).
 * There is no status, so the kind comes from the provider's error type or code.
 */
export function streamError(provider: ProviderName, info: ErrorBodyInfo, redact: (text: string) => string): ProviderError {
  const code = info.code ?? '';
  const kind = /rate|exhausted|quota/i.test(code)
    ? 'rate_limited'
    : /auth|permission|unauthenticated/i.test(code)
      ? 'auth'
      : /invalid|not_found|argument|request_too_large/i.test(code)
        ? 'bad_request'
        : 'server';
  const message = info.message ? redact(info.message).slice(0, MAX_MESSAGE_CHARS) : 'no message';
  return new ProviderError(provider, kind, `${provider} stream error${code ? ` (${redact(code)})` : ''}: ${message}`, {
    ...(code ? { providerCode: redact(code) } : {}),
  });
}
