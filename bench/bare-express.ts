/**
 * The baseline of the gateway benchmark: an Express 5 hello-world and nothing else, run as its
 * own process (like the control plane) so it gets an event loop of its own. Listens on
 * 127.0.0.1:$PORT with the same keep-alive timeout as the services.
 */
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.json({ ok: true });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
server.keepAliveTimeout = 65_000;
server.once('error', (err) => {
  process.stderr.write(`bare express failed to listen: ${err.message}\n`);
  process.exit(1);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
