/**
 * Real failures. Every error that should reach a client as a specific HTTP status extends
 * AppError; the one error-mapping middleware turns it into `{ error: { code, message, details } }`.
 */
export interface AppErrorOptions {
  cause?: unknown;
  /** Sent as Retry-After: when the client may usefully try again. */
  retryAfterSeconds?: number;
}

export class AppError extends Error {
  readonly retryAfterSeconds?: number;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: AppErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

export class InvalidError extends AppError {
  constructor(message: string, details?: unknown, code = 'VALIDATION_FAILED') {
    super(400, code, message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials') {
    super(401, 'UNAUTHORIZED', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, details?: unknown) {
    super(403, 'FORBIDDEN', message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, details?: unknown, code = 'NOT_FOUND') {
    super(404, code, message, details);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: unknown) {
    super(409, 'CONFLICT', message, details);
  }
}

export class NotImplementedError extends AppError {
  constructor(message: string, details?: unknown) {
    super(501, 'NOT_IMPLEMENTED', message, details);
  }
}

/**
 * 503 codes that say the server is not set up for the request (a feature off, a tool or
 * directory not configured or installed): nothing changes until an operator acts, so a task is
 * not tried again for them, unlike a service that is down or busy.
 */
export const NOT_SET_UP_CODES: ReadonlySet<string> = new Set(['FEATURE_DISABLED', 'NOT_CONFIGURED', 'PROVIDER_NOT_CONFIGURED', 'COMMAND_NOT_INSTALLED', 'FIREWALL_DISABLED']);

export class UnavailableError extends AppError {
  constructor(code: string, message: string, details?: unknown, options?: AppErrorOptions) {
    super(503, code, message, details, options);
  }
}

export class GatewayTimeoutError extends AppError {
  constructor(code: string, message: string, details?: unknown) {
    super(504, code, message, details);
  }
}
