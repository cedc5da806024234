// The dashboard's HTTP client: every call carries the key as `Authorization: Bearer`, has a
// time limit, and fails with one ApiError whose text can be shown as it is.

import { asArray, asObject, asString, isObject } from './dom.js';

export class ApiError extends Error {
  /**
   * @param {'http'|'network'|'timeout'} kind
   * @param {number} status HTTP status (0 when there was no answer)
   * @param {string} code the server's error code, e.g. FORBIDDEN
   */
  constructor(kind, status, code, message, details) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

const DEFAULT_TIMEOUT_MS = 15_000;

export class Api {
  /**
   * @param {() => string | null} getKey the key kept in sessionStorage
   * @param {(err: ApiError) => void} onUnauthorized told of every 401 (the key was revoked or is wrong)
   */
  constructor(getKey, onUnauthorized = () => {}) {
    this.getKey = getKey;
    this.onUnauthorized = onUnauthorized;
  }

  get(path, query, options) {
    return this.request('GET', withQuery(path, query), { ...options });
  }

  post(path, body, options) {
    return this.request('POST', path, { ...options, body });
  }

  delete(path, options) {
    return this.request('DELETE', path, { ...options });
  }

  /** Answers the parsed JSON body (null for an empty one), or throws ApiError. */
  async request(method, path, { body, timeoutMs = DEFAULT_TIMEOUT_MS, auth = true, okStatuses = [] } = {}) {
    const headers = { Accept: 'application/json' };
    const key = this.getKey();
    if (auth && key) headers.Authorization = `Bearer ${key}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await this.fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, timeoutMs);
    const text = await res.text();
    let parsed = null;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (res.ok) throw new ApiError('http', res.status, 'BAD_RESPONSE', `The server answered ${method} ${path} with something that is not JSON`);
      }
    }
    // okStatuses: answers whose body is the result despite the status (/health/detailed's 503 "down").
    if (!res.ok && !okStatuses.includes(res.status)) throw this.failure(res.status, parsed);
    return parsed;
  }

  /** Downloads a body as a Blob (audio files), with the key. */
  async blob(path, { timeoutMs = 120_000 } = {}) {
    const key = this.getKey();
    const res = await this.fetch(path, { headers: key ? { Authorization: `Bearer ${key}` } : {} }, timeoutMs);
    if (!res.ok) {
      let parsed = null;
      try {
        parsed = JSON.parse(await res.text());
      } catch {
        // Not JSON: the status alone is described.
      }
      throw this.failure(res.status, parsed);
    }
    return res.blob();
  }

  async fetch(path, init, timeoutMs) {
    try {
      return await fetch(path, { ...init, cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      if (err && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new ApiError('timeout', 0, 'TIMEOUT', `No answer from the control plane within ${Math.round(timeoutMs / 1000)} s`);
      }
      throw new ApiError('network', 0, 'NETWORK', 'Cannot reach the control plane (network error): is it running?');
    }
  }

  failure(status, body) {
    const error = asObject(isObject(body) ? body.error : undefined);
    const err = new ApiError('http', status, asString(error.code, `HTTP_${status}`), asString(error.message, `HTTP ${status}`), error.details);
    if (status === 401) this.onUnauthorized(err);
    return err;
  }
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** One line a person can act on, for any failure (ApiError or not). */
export function describeError(err) {
  if (!(err instanceof ApiError)) return `Unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  if (err.kind !== 'http') return err.message;
  if (err.status === 401) return 'The API key was refused (401): it is unknown or revoked. Use “Forget key” and enter a valid one.';
  const details = asObject(err.details);
  if (err.status === 403 && typeof details.requiredScope === 'string') {
    return `This API key lacks the “${details.requiredScope}” scope (403).`;
  }
  const issues = asArray(details.issues)
    .map((i) => `${asString(asObject(i).field, '?')}: ${asString(asObject(i).message)}`)
    .join('; ');
  return `${err.message} (${err.status} ${err.code})${issues ? ` — ${issues}` : ''}`;
}

/** Codes of a 404 that mean "this AI DAWG has no such module, action or route", not "no such record". */
const ABSENT_CODES = new Set(['UNKNOWN_MODULE', 'UNKNOWN_ACTION', 'MODULE_ACTION_UNAVAILABLE', 'NOT_FOUND']);

/**
 * Failure text for a panel fed by an AI DAWG module: says first whether the DAWG or the module
 * is missing or down — something to fix on the server, not in the page — then the server's words.
 */
export function describeUnavailable(what, err) {
  if (err instanceof ApiError && err.kind === 'http') {
    if (err.status === 404 && ABSENT_CODES.has(err.code)) return `${what} are not available on this AI DAWG: ${describeError(err)}`;
    if (err.status === 501) return `${what} are not available on this AI DAWG: ${describeError(err)}`;
    if (err.status === 502 || err.status === 503 || err.status === 504) return `${what} are unavailable right now (AI DAWG down or busy): ${describeError(err)}`;
  }
  if (err instanceof ApiError && err.kind !== 'http') return `${what}: ${describeError(err)}`;
  return `${what} could not be read: ${describeError(err)}`;
}
