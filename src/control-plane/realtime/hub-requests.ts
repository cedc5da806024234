import { AppError } from '../../common/errors';
import type { Logger } from '../../common/logger';
import type { AuditLog } from '../audit';
import type { TerminalFirewall } from '../firewall';
import { isAdmin, type ChannelAccess } from './channel-access';
import { parseClientMessage, type ClientMessage } from './client-messages';
import type { HubConnection } from './hub-connection';
import { CLOSE_CODES, publicApproval, type Channel, type HubErrorCode } from './hub-events';

type Of<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

export interface HubRequestsDeps {
  logger: Logger;
  access: ChannelAccess;
  /** Absent when TERMINAL_FIREWALL_ENABLED=false. */
  firewall?: Pick<TerminalFirewall, 'decide'>;
  /** Decisions over the socket are recorded like the HTTP requests that make them. */
  audit?: Pick<AuditLog, 'record'>;
  maxSubscriptions: number;
  /** Checks a credential from an `auth` message and, when valid, makes the connection ready (else closes it). */
  authenticate(connection: HubConnection, credential: string, requestId: string | undefined): Promise<void>;
  /** Keeps the hub's channel index in step with the connection's subscriptions. */
  subscribed(connection: HubConnection, channel: Channel): void;
  unsubscribed(connection: HubConnection, channel: Channel): void;
}

/** Handles the messages clients send: every failure is answered as `{type:"error"}`, never thrown. */
export class HubRequests {
  constructor(private readonly deps: HubRequestsDeps) {}

  /** One text frame from a client, queued behind the ones before it. */
  receive(connection: HubConnection, text: string): void {
    const queued = connection.enqueue(() => this.handle(connection, text));
    if (!queued) this.error(connection, undefined, 'TOO_MANY_REQUESTS', 'Too many requests waiting on this connection: wait for the answers before sending more');
  }

  /** Binary frames are not part of the protocol. Queued too, so one sent before a pending header check is judged after it. */
  receiveBinary(connection: HubConnection): void {
    connection.enqueue(async () => {
      if (!connection.principal) return connection.close(CLOSE_CODES.unauthorized, 'the first message must be {"type":"auth","apiKey":"..."} as text');
      this.error(connection, undefined, 'INVALID_MESSAGE', 'Binary frames are not accepted: send JSON text frames', 'message');
    });
  }

  private async handle(connection: HubConnection, text: string): Promise<void> {
    if (!connection.isOpen) return;
    const parsed = parseClientMessage(text);
    if (!connection.principal) {
      // Before authentication only a well-formed auth message is accepted.
      if (parsed.ok && parsed.message.type === 'auth') return this.deps.authenticate(connection, parsed.message.apiKey, parsed.message.requestId);
      connection.close(CLOSE_CODES.unauthorized, parsed.ok ? 'the first message must be {"type":"auth","apiKey":"..."}' : `the first message must be auth: ${parsed.message}`);
      return;
    }
    if (!parsed.ok) {
      connection.send({ type: 'error', ...(parsed.requestId ? { requestId: parsed.requestId } : {}), code: parsed.code, message: parsed.message, ...(parsed.field ? { field: parsed.field } : {}), ...(parsed.issues ? { issues: parsed.issues } : {}) });
      return;
    }
    const message = parsed.message;
    try {
      switch (message.type) {
        case 'auth':
          return this.error(connection, message.requestId, 'INVALID_MESSAGE', 'This connection is already authenticated', 'type');
        case 'subscribe':
          return await this.subscribe(connection, message);
        case 'unsubscribe':
          return this.unsubscribe(connection, message);
        case 'approval.decide':
          return await this.decide(connection, message);
        case 'ping':
          return connection.send({ type: 'pong', ...(message.requestId ? { requestId: message.requestId } : {}), at: new Date().toISOString() });
      }
    } catch (err) {
      if (err instanceof AppError) return this.error(connection, message.requestId, err.code, err.message);
      this.deps.logger.error('websocket request failed', { connectionId: connection.id, type: message.type, err });
      this.error(connection, message.requestId, 'INTERNAL', 'The request could not be handled; try again');
    }
  }

  private async subscribe(connection: HubConnection, message: Of<'subscribe'>): Promise<void> {
    const principal = connection.principal!;
    if (!connection.subscriptions.has(message.channel)) {
      if (connection.subscriptions.size >= this.deps.maxSubscriptions) {
        return this.error(connection, message.requestId, 'TOO_MANY_SUBSCRIPTIONS', `At most ${this.deps.maxSubscriptions} subscriptions per connection: unsubscribe from finished jobs first`, 'channel');
      }
      const access = await this.deps.access.authorize(principal, message.channel);
      if (!access.ok) return this.error(connection, message.requestId, access.code, access.message, 'channel');
      // The socket may have closed while the check ran: an index entry for it would never be removed.
      if (!connection.isOpen) return;
      connection.subscriptions.add(message.channel);
      this.deps.subscribed(connection, message.channel);
    }
    connection.send({ type: 'ack', ...(message.requestId ? { requestId: message.requestId } : {}), op: 'subscribe', channel: message.channel, subscriptions: [...connection.subscriptions] });
  }

  private unsubscribe(connection: HubConnection, message: Of<'unsubscribe'>): void {
    if (connection.subscriptions.delete(message.channel)) this.deps.unsubscribed(connection, message.channel);
    connection.send({ type: 'ack', ...(message.requestId ? { requestId: message.requestId } : {}), op: 'unsubscribe', channel: message.channel, subscriptions: [...connection.subscriptions] });
  }

  /** The HTTP route's code path: TerminalFirewall.decide, which checks, records and audits the decision. */
  private async decide(connection: HubConnection, message: Of<'approval.decide'>): Promise<void> {
    const principal = connection.principal!;
    if (!isAdmin(principal)) {
      this.record(connection, message, 403);
      return this.error(connection, message.requestId, 'FORBIDDEN', 'Deciding approvals needs an API key with the "admin" scope');
    }
    if (!this.deps.firewall) {
      return this.error(connection, message.requestId, 'FEATURE_DISABLED', 'The terminal firewall is disabled (TERMINAL_FIREWALL_ENABLED=false): no command can run');
    }
    try {
      const approval = await this.deps.firewall.decide(message.id, message.decision, principal.id, message.reason);
      this.record(connection, message, 200);
      connection.send({ type: 'ack', ...(message.requestId ? { requestId: message.requestId } : {}), op: 'approval.decide', approval: publicApproval(approval) });
    } catch (err) {
      this.record(connection, message, err instanceof AppError ? err.status : 500);
      throw err;
    }
  }

  /** Like the `api.request` entry of an HTTP request: who asked what over the socket, and how it ended. */
  private record(connection: HubConnection, message: Of<'approval.decide'>, status: number): void {
    const keyId = connection.principal?.id;
    this.deps.audit?.record({
      type: 'api.request',
      actor: keyId,
      subject: 'ws:approval.decide',
      outcome: String(status),
      details: { method: 'WS', path: '/ws', op: message.type, approvalId: message.id, decision: message.decision, status, keyId, connectionId: connection.id, requestId: message.requestId },
    });
  }

  private error(connection: HubConnection, requestId: string | undefined, code: HubErrorCode, message: string, field?: string): void {
    connection.send({ type: 'error', ...(requestId ? { requestId } : {}), code, message, ...(field ? { field } : {}) });
  }
}
