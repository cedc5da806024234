import { LEVEL, MESSAGE } from 'triple-beam';
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug';

export interface LoggerOptions {
  level: LogLevel;
  service: string;
  /** Tests pass a stream to read what was logged; production writes JSON lines to stdout. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
  /**
   * Also write the JSON lines to `<dir>/<service>.log`, rotated by size: the newest lines are
   * always in `<service>.log`, older ones in `<service>1.log`, `<service>2.log`... (winston's
   * tailable rotation), `maxFiles` files in all. The DAWG's devops `query-logs` action reads
   * these files back.
   */
  file?: LogFileOptions;
}

export interface LogFileOptions {
  dir: string;
  /** Size at which the current file is rotated. Winston checks it per write, so a burst can overshoot it. */
  maxBytes: number;
  maxFiles: number;
}

/** The service name becomes a file name: keep it to characters that cannot leave the directory. */
const FILE_SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const SECRET_KEY = /(authorization|token|secret|password|api[-_]?key|cookie)/i;

/**
 * Drops any field whose name looks like a credential, wherever a caller put it: a log line
 * is the most common way secrets leak, so the logger itself refuses to carry them.
 */
const redactSecrets = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEY.test(key)) info[key] = '[redacted]';
  }
  return info;
});

/** An Error, from this realm or another (a DOMException, a worker's or a VM context's error). */
function isErrorLike(value: unknown): value is Error {
  if (value instanceof Error) return true;
  const v = value as { name?: unknown; message?: unknown; stack?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.name === 'string' && typeof v.message === 'string' && typeof v.stack === 'string';
}

/**
 * What an error logged as a field (`{ err }`) says: JSON shows an Error as `{}`, its message and
 * stack being non-enumerable. Only these fields: an HTTP client's error also carries its request
 * configuration, credentials included.
 */
export function describeError(err: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.stack) out.stack = err.stack;
  const cause = (err as { cause?: unknown }).cause;
  if (isErrorLike(cause) && depth < 2) out.cause = describeError(cause, depth + 1);
  return out;
}

const serializeErrors = winston.format((info) => {
  for (const key of Object.keys(info)) {
    const value = info[key];
    if (key !== 'message' && isErrorLike(value)) info[key] = describeError(value);
  }
  return info;
});

function fileTransport(service: string, file: LogFileOptions): winston.transport {
  if (!FILE_SERVICE_NAME.test(service)) throw new Error(`Logger service "${service}" cannot name a log file`);
  for (const key of ['maxBytes', 'maxFiles'] as const) {
    if (!Number.isSafeInteger(file[key]) || file[key] < 1) throw new Error(`Log file option ${key} must be a positive integer, got ${file[key]}`);
  }
  // Winston's tailable rotation stops (without calling back) when maxFiles is unset, hence the check above.
  return new winston.transports.File({ dirname: file.dir, filename: `${service}.log`, maxsize: file.maxBytes, maxFiles: file.maxFiles, tailable: true });
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  const transports: winston.transport[] = [transport];
  if (options.file) transports.push(fileTransport(options.service, options.file));
  return winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      redactSecrets(),
      serializeErrors(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports,
  });
}

/** The rotation both processes use for their log files: 20 MiB per file, five files per service. */
export function logFileOptions(dir: string | undefined): LogFileOptions | undefined {
  return dir ? { dir, maxBytes: 20 * 2 ** 20, maxFiles: 5 } : undefined;
}

/**
 * A child logger that also drops entries below `level` (npm levels: error < warn < info <
 * http < debug). The parent's own level still applies, so the stricter of the two wins.
 */
export function childWithLevel(logger: Logger, meta: Record<string, unknown>, level: LogLevel): Logger {
  const child = logger.child(meta);
  const threshold = winston.config.npm.levels[level]!;
  const write = child.write.bind(child);
  return Object.create(child, {
    write: {
      value(info: winston.Logform.TransformableInfo) {
        const rank = winston.config.npm.levels[info.level];
        return rank !== undefined && rank > threshold ? true : write(info);
      },
    },
  }) as Logger;
}

export type LineWriter = (level: LogLevel, message: string, fields: Record<string, string | number | boolean | undefined>) => void;

/** Lines a transport that cannot keep up may hold; past them new lines are dropped (and counted). */
const MAX_PENDING_LINES = 20_000;

interface TransportQueue {
  transport: winston.transport;
  lines: Array<{ level: LogLevel; line: string }>;
  /** A write was handed to the transport and it has not called back yet (a file waiting for drain). */
  busy: boolean;
  dropped: number;
}

/**
 * Writes one JSON line per call to the logger's own transports (console or stream, and the
 * rotated file): the same line `logger.log` would write, without winston's format pipeline.
 * Lines are written together, one write per transport and level per event-loop turn, and a
 * transport gets its next write only once it has called back for the last one: a file that
 * waits for drain receives one batch when it is ready, instead of a drain listener per line
 * (winston's file transport queues one per call while it waits: a MaxListenersExceededWarning
 * and ~100 µs per request at 2,500 requests/s). A transport that falls `MAX_PENDING_LINES`
 * behind drops new lines meanwhile, and a line says how many. The logger's level and `silent`
 * and each transport's level apply when the line is written.
 *
 * For fixed-shape lines only: the fields are the caller's fixed names and never a credential,
 * so the redaction pass (which matches field names) has nothing to do and is skipped.
 */
export function lineWriter(logger: Logger): LineWriter {
  const levels = winston.config.npm.levels;
  const service = (logger.defaultMeta as { service?: unknown } | undefined)?.service;
  const queues = new Map<winston.transport, TransportQueue>();
  let scheduled = false;

  const queueOf = (transport: winston.transport): TransportQueue => {
    let queue = queues.get(transport);
    if (!queue) {
      queue = { transport, lines: [], busy: false, dropped: 0 };
      queues.set(transport, queue);
    }
    return queue;
  };

  const write = (queue: TransportQueue) => {
    if (queue.busy || queue.lines.length === 0) return;
    if (queue.dropped > 0) {
      // At warn, or at the transport's own level when it takes only more severe lines (error).
      const own = queue.transport.level as LogLevel | undefined;
      const level: LogLevel = own !== undefined && levels[own]! < levels.warn! ? own : 'warn';
      const line = JSON.stringify({ level, message: 'log lines dropped: the destination could not keep up', dropped: queue.dropped, service, timestamp: new Date().toISOString() });
      queue.lines.unshift({ level, line });
      queue.dropped = 0;
    }
    const byLevel = new Map<LogLevel, string[]>();
    for (const { level, line } of queue.lines) {
      const lines = byLevel.get(level);
      if (lines) lines.push(line);
      else byLevel.set(level, [line]);
    }
    queue.lines = [];
    let outstanding = byLevel.size;
    queue.busy = true;
    const done = () => {
      if (--outstanding > 0) return;
      queue.busy = false;
      if (queue.lines.length > 0) schedule();
    };
    for (const [level, lines] of byLevel) {
      try {
        queue.transport.log!({ level, [LEVEL]: level, [MESSAGE]: lines.join('\n') }, done);
      } catch {
        // A transport that throws loses this batch, never the process (this runs from setImmediate).
        done();
      }
    }
  };

  const flush = () => {
    scheduled = false;
    for (const queue of queues.values()) write(queue);
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  return (level, message, fields) => {
    if (logger.silent || !logger.isLevelEnabled(level)) return;
    const line = JSON.stringify({ level, message, ...fields, service, timestamp: new Date().toISOString() });
    for (const transport of logger.transports) {
      if (!transport.log || transport.silent || (transport.level !== undefined && levels[transport.level]! < levels[level]!)) continue;
      const queue = queueOf(transport);
      // Dropping the newest keeps what is queued in order, at O(1) while the backlog lasts.
      if (queue.lines.length >= MAX_PENDING_LINES) queue.dropped += 1;
      else queue.lines.push({ level, line });
    }
    schedule();
  };
}
