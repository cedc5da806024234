import { DEFAULT_TIMEOUT_MS, DEFAULT_URL } from './args-common';

/** The environment and global options, shown in every command's help. */
export const CONNECTION = `Connection (read from the environment):
  JARVIS_URL          control plane address (default ${DEFAULT_URL})
  JARVIS_API_KEY      an API key of the control plane (it prints an admin key on
                      its first start); never taken from the command line
  JARVIS_TIMEOUT_MS   per-request timeout in ms (default ${DEFAULT_TIMEOUT_MS})

Global options:
  --url URL           overrides JARVIS_URL
  --timeout MS        overrides JARVIS_TIMEOUT_MS
  -h, --help          show help`;

export const EXIT = `Exit codes: 0 success, 1 server or network error, 2 usage error.`;

export const WAIT_EXIT = `Exit codes: 0 success (with --wait: the task completed), 1 the task failed or
was cancelled, or a server or network error, 2 usage error, 130 Ctrl-C stopped
the wait.`;
