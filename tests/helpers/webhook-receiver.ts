import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A local webhook receiver answering each request with the next of `statuses` (then 200), keeping what it received. */
export async function webhookReceiver() {
  const received: Received[] = [];
  const statuses: Array<{ status: number; headers?: Record<string, string>; body?: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const next = statuses.shift() ?? { status: 200 };
      res.writeHead(next.status, { 'content-type': next.body ? 'application/json' : 'text/plain', ...next.headers }).end(next.body ?? (next.status === 200 ? 'ok' : 'no'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/SECRETPATH`;
  return { url, received, statuses, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
