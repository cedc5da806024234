import { runCli } from './run';

/**
 * `jarvis`: the CLI of a running control plane. An HTTP client (the embedded database belongs
 * to the server process), configured by JARVIS_URL and JARVIS_API_KEY.
 */
runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progressStream: process.stderr,
  onInterrupt: (handler) => {
    // Registering a listener replaces Node's default (exit at once); the wait stops cleanly instead.
    process.on('SIGINT', handler);
    return () => process.off('SIGINT', handler);
  },
}).then(
  (code) => {
    // exitCode rather than exit(): lets piped stdout drain before the process ends.
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`jarvis: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
