import type { DuckDBConnection } from '@duckdb/node-api';

/** How often an interrupt is repeated until the work on the connection stops. */
const INTERRUPT_REPEAT_MS = 20;

/**
 * Stops the work on a DuckDB connection. DuckDB clears an interrupt when the next statement
 * begins, so one that lands between two statements (during BEGIN or PREPARE on a busy machine,
 * or between the steps of a multi-statement action) is lost and the next statement runs to its
 * end. Once asked, this interrupts again every few milliseconds until `dispose()`; callers also
 * check their own stop condition before each statement.
 */
export function connectionInterrupter(c: DuckDBConnection) {
  let repeat: NodeJS.Timeout | undefined;
  return {
    interrupt(): void {
      c.interrupt();
      repeat ??= setInterval(() => c.interrupt(), INTERRUPT_REPEAT_MS);
    },
    dispose(): void {
      clearInterval(repeat);
    },
  };
}
