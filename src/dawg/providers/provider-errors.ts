import { AppError, GatewayTimeoutError, UnavailableError } from '../../common/errors';

/**
 * Failures of a remote song provider. None of them carries the API key or the raw axios
 * error (whose config holds the Authorization header), so logging them is safe.
 */
export class ProviderAuthFailedError extends AppError {
  constructor(provider: string, httpStatus: number) {
    super(502, 'PROVIDER_AUTH_FAILED', `${provider} rejected our credentials (HTTP ${httpStatus}); check the configured API key`, { provider, httpStatus });
  }
}

export class ProviderRateLimitedError extends UnavailableError {
  constructor(provider: string, retryAfterSeconds?: number) {
    super('PROVIDER_RATE_LIMITED', `${provider} is rate limiting us`, { provider }, { retryAfterSeconds });
  }
}

export class ProviderUnavailableError extends UnavailableError {
  constructor(provider: string, reason: string) {
    super('PROVIDER_UNAVAILABLE', `${provider} is unavailable: ${reason}`, { provider });
  }
}

export class ProviderFailedError extends AppError {
  constructor(provider: string, message: string, details?: Record<string, unknown>) {
    super(502, 'PROVIDER_FAILED', `${provider} could not generate the song: ${message}`, { provider, ...details });
  }
}

export class ProviderBadResponseError extends AppError {
  constructor(provider: string, message: string, field?: string) {
    super(502, 'PROVIDER_BAD_RESPONSE', `${provider} sent an unexpected answer: ${message}`, { provider, field });
  }
}

export class ProviderTimeoutError extends GatewayTimeoutError {
  constructor(provider: string, timeoutMs: number) {
    super('PROVIDER_TIMEOUT', `${provider} did not finish within ${timeoutMs} ms`, { provider, timeoutMs });
  }
}
