import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'error' | 'warn' | 'info' | 'http' | 'debug';

export interface LoggerOptions {
  level: LogLevel;
  service: string;
  /** Tests pass a stream to read what was logged; production writes JSON lines to stdout. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

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

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
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
    transports: [transport],
  });
}
