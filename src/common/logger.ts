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

const noop = () => undefined;

/**
 * Writes one JSON line per call to the logger's own transports (console or stream, and the
 * rotated file): the same line `logger.log` would write, without winston's format pipeline.
 * Lines of one event-loop turn are written together, one write per transport and level, so a
 * busy server makes one write call (and, to a file, one drain wait) per turn rather than per
 * line: at 2,500 requests/s that is most of the access log's cost. The logger's level and
 * `silent` and each transport's level still apply when the line is written.
 *
 * For fixed-shape lines only: the fields are the caller's fixed names and never a credential,
 * so the redaction pass (which matches field names) has nothing to do and is skipped.
 */
export function lineWriter(logger: Logger): LineWriter {
  const levels = winston.config.npm.levels;
  const service = (logger.defaultMeta as { service?: unknown } | undefined)?.service;
  const pending = new Map<LogLevel, string[]>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    for (const [level, lines] of pending) {
      const info = { level, [LEVEL]: level, [MESSAGE]: lines.join('\n') };
      for (const transport of logger.transports) {
        if (transport.silent || (transport.level !== undefined && levels[transport.level]! < levels[level]!)) continue;
        transport.log?.(info, noop);
      }
    }
    pending.clear();
  };
  return (level, message, fields) => {
    if (logger.silent || !logger.isLevelEnabled(level)) return;
    const line = JSON.stringify({ level, message, ...fields, service, timestamp: new Date().toISOString() });
    const lines = pending.get(level);
    if (lines) lines.push(line);
    else pending.set(level, [line]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
