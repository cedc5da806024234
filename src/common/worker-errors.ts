import {
  AppError,
  ConflictError,
  ForbiddenError,
  GatewayTimeoutError,
  InvalidError,
  NotFoundError,
  NotImplementedError,
  UnavailableError,
} from './errors';

/**
 * An error as it crosses from a worker thread (audio, analytics) to the main thread. Structured
 * clone keeps only an Error's message and stack, so the fields the HTTP error mapper answers
 * with (status, code, details) travel explicitly and the main thread rebuilds the same class.
 */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  status?: number;
  code?: string;
  details?: unknown;
  retryAfterSeconds?: number;
}

/** Details that structured clone cannot carry (a function, a class instance's methods) go as their JSON. */
function cloneable(details: unknown): unknown {
  try {
    return structuredClone(details);
  } catch {
    return JSON.parse(JSON.stringify(details ?? null)) as unknown;
  }
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof AppError) {
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      status: err.status,
      code: err.code,
      ...(err.details === undefined ? {} : { details: cloneable(err.details) }),
      ...(err.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: err.retryAfterSeconds }),
    };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}

type Rebuild = (e: SerializedError & { status: number; code: string }) => AppError;

/** Each class's own constructor, so `instanceof InvalidError` and friends hold on the main side too. */
const REBUILD: Record<string, Rebuild> = {
  InvalidError: (e) => new InvalidError(e.message, e.details, e.code),
  NotFoundError: (e) => new NotFoundError(e.message, e.details, e.code),
  NotImplementedError: (e) => new NotImplementedError(e.message, e.details),
  ConflictError: (e) => new ConflictError(e.message, e.details),
  ForbiddenError: (e) => new ForbiddenError(e.message, e.details),
  UnavailableError: (e) => new UnavailableError(e.code, e.message, e.details, { retryAfterSeconds: e.retryAfterSeconds }),
  GatewayTimeoutError: (e) => new GatewayTimeoutError(e.code, e.message, e.details),
};

/** The main thread's copy of a worker's error; its stack is the worker's, where the error happened. */
export function rebuildError(e: SerializedError): Error {
  let err: Error;
  if (e.status !== undefined && e.code !== undefined) {
    const known = { ...e, status: e.status, code: e.code };
    err = (REBUILD[e.name] ?? ((x: typeof known) => new AppError(x.status, x.code, x.message, x.details, { retryAfterSeconds: x.retryAfterSeconds })))(known);
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.stack) err.stack = e.stack;
  return err;
}
