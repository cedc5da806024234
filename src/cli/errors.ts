/** Exit codes of the `jarvis` CLI. */
export const EXIT_OK = 0;
/** The server said no, answered something unexpected, or could not be reached; or a waited-for task failed or was cancelled. */
export const EXIT_FAILURE = 1;
/** The command line (or its environment) is wrong; nothing was sent. */
export const EXIT_USAGE = 2;
/** Ctrl-C stopped a wait (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** A mistake in how the CLI was called. Printed with a pointer to --help; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The help topic to point at, e.g. "keys create". */
    readonly topic?: string,
  ) {
    super(message);
  }
}

/** A failed call to the control plane: an error answer, a network failure or a timeout. Exit code 1. */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}
