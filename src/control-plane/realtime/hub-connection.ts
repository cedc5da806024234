import { WebSocket } from 'ws';
import type { Principal } from '../auth';
import { CLOSE_CODES, type Channel, type ServerMessage } from './hub-events';

/** A close reason may carry at most 123 bytes of UTF-8 (ws throws past it); cut at a character, not inside one. */
function fitCloseReason(reason: string): string {
  let fitted = reason;
  while (Buffer.byteLength(fitted) > 123) fitted = fitted.slice(0, -1);
  return fitted;
}

/** Requests of one connection waiting to be handled; more are refused rather than queued. */
const MAX_PENDING_REQUESTS = 32;

export interface HubConnectionOptions {
  id: string;
  ip: string | undefined;
  maxBufferedBytes: number;
  /** Told once, when the connection is dropped for reading too slowly. */
  onSlowConsumer: (connection: HubConnection, bufferedBytes: number) => void;
}

/**
 * One client socket: its principal once authenticated, its subscriptions, and a send that
 * never queues more than the buffer limit. Requests are handled one after another, so a
 * subscribe sent right after `auth` (without waiting for `ready`) is handled after it.
 */
export class HubConnection {
  readonly connectedAt = Date.now();
  readonly subscriptions = new Set<Channel>();
  principal: Principal | undefined;
  /** The credential, kept to re-check it (revocation) while the socket lives. Never logged. */
  credential: string | undefined;
  /** Whether a pong came back since the last ping. */
  alive = true;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private closing = false;

  constructor(
    readonly socket: WebSocket,
    private readonly options: HubConnectionOptions,
  ) {}

  get id(): string {
    return this.options.id;
  }

  get ip(): string | undefined {
    return this.options.ip;
  }

  get isOpen(): boolean {
    return !this.closing && this.socket.readyState === WebSocket.OPEN;
  }

  /**
   * Sends one message, unless more than the limit is already waiting to go out: a client that
   * does not read is then closed with 4008 instead of making this process hold its backlog.
   */
  send(message: ServerMessage): void {
    this.sendSerialized(JSON.stringify(message));
  }

  /** send() for a message already serialized once for every subscriber of a channel. */
  sendSerialized(text: string): void {
    if (!this.isOpen) return;
    const buffered = this.socket.bufferedAmount;
    if (buffered > this.options.maxBufferedBytes) {
      this.close(CLOSE_CODES.slowConsumer, 'slow consumer: messages were not read fast enough');
      this.options.onSlowConsumer(this, buffered);
      return;
    }
    this.socket.send(text);
  }

  /** Closes with a code and a reason (at most 123 bytes by the protocol); later sends are dropped. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(code, fitCloseReason(reason));
  }

  /** Queues a request behind the ones before it; false when too many are waiting (the caller answers TOO_MANY_REQUESTS). */
  enqueue(handle: () => Promise<void>): boolean {
    if (this.pending >= MAX_PENDING_REQUESTS) return false;
    this.pending++;
    // Handlers answer their own failures; the catch only keeps one bug from stopping the chain.
    this.chain = this.chain
      .then(handle)
      .catch(() => undefined)
      .finally(() => {
        this.pending--;
      });
    return true;
  }
}
