import { connect, type Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import type { ServerMessage } from '../../src/control-plane/realtime';

export interface TestSocketOptions {
  headers?: Record<string, string>;
  /** false: never answer pings (a peer that died without closing). */
  autoPong?: boolean;
}

/**
 * A WebSocket client for the hub's tests. It keeps every message it receives, so a test can
 * wait for one after it arrived; `socket` is the TCP socket under it, which a test can pause
 * to play a client that stops reading.
 */
export class TestSocket {
  readonly received: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  pings = 0;
  private readonly consumed = new Set<number>();
  private waiters: Array<() => void> = [];
  private nextId = 0;

  private constructor(
    readonly ws: WebSocket,
    readonly socket: Socket,
  ) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as ServerMessage);
      this.wake();
    });
    ws.on('ping', () => this.pings++);
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  /** Connects; resolves once open (the server may still close it right after, e.g. 4001). Rejects on an HTTP refusal. */
  static open(url: string, options: TestSocketOptions = {}): Promise<TestSocket> {
    let tcp: Socket | undefined;
    const clientOptions: ClientOptions = {
      headers: options.headers,
      autoPong: options.autoPong ?? true,
      createConnection: ((opts: { host?: string; port?: number }) => (tcp = connect({ host: opts.host ?? '127.0.0.1', port: Number(opts.port) }))) as unknown as ClientOptions['createConnection'],
    };
    const ws = new WebSocket(url, clientOptions);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestSocket(ws, tcp!)));
      ws.once('unexpected-response', (req, res) => {
        req.destroy();
        reject(new Error(`HTTP ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends a request with a fresh requestId and waits for the answer carrying it. */
  async request(message: Record<string, unknown>, timeoutMs = 5_000): Promise<ServerMessage> {
    const requestId = `r${++this.nextId}`;
    this.send({ ...message, requestId });
    return this.waitFor((m) => 'requestId' in m && m.requestId === requestId, timeoutMs);
  }

  /** The first message not yet returned that matches, waiting up to `timeoutMs` for it. */
  async waitFor(match: (m: ServerMessage) => boolean, timeoutMs = 5_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex((m, i) => !this.consumed.has(i) && match(m));
      if (index >= 0) {
        this.consumed.add(index);
        return this.received[index]!;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms; received: ${JSON.stringify(this.received).slice(0, 2_000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Events received on a channel (optionally of one job), in order. */
  events(channel: string, jobId?: string): Array<Extract<ServerMessage, { type: 'event' }>> {
    return this.received.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event' && m.channel === channel && (jobId === undefined || (m.data as { jobId?: string }).jobId === jobId));
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
