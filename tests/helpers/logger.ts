import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/common/logger';

export function silentLogger(): Logger {
  return createLogger({ level: 'error', service: 'test', silent: true });
}

/** A logger whose JSON lines are kept, so tests can assert on what was (and was not) logged. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'debug', service: 'test', stream });
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
