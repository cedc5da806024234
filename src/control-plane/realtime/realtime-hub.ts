import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type ServerOptions, type WebSocket } from 'ws';
import type { Logger } from '../../common/logger';
import type { AuditLog } from '../audit';
import type { ApiKeyService, Principal } from '../auth';
import type { AuthFailureGate } from '../http/rate-limit.middleware';
import type { Suggestion, SuggestionEvent } from '../proactive';
import type { RealtimeConfig } from '../config';
import type { TerminalFirewall } from '../firewall';
import type { HealthService } from '../health';
import { isAdmin, type ChannelAccess } from './channel-access';
import { forwardEvents, type EventSources } from './event-sources';
import { HubConnection } from './hub-connection';
import { CLOSE_CODES, type Channel, type HubMessage } from './hub-events';
import { HubRequests } from './hub-requests';
import type { RealtimeBus } from './realtime-bus';
import { HUB_PATH, refuseUpgrade, upgradeCredential, upgradeTarget } from './upgrade-request';

/** Largest client message; larger ones close the socket with 1009 (clients only send small requests). */
export const MAX_MESSAGE_BYTES = 64 * 1024;
/** Subscriptions one connection may hold (each jobs/<id> is one). */
export const MAX_SUBSCRIPTIONS = 100;
/** How long a closing handshake may take before the socket is cut (a slow consumer may never answer it). */
const CLOSE_TIMEOUT_MS = 5_000;
/** closeTimeout is an option of the ws version in use (8.23) that @types/ws does not list yet. */
const SERVER_OPTIONS: ServerOptions & { closeTimeout: number } = { noServer: true, clientTracking: false, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false, closeTimeout: CLOSE_TIMEOUT_MS };

export interface RealtimeHubDeps {
  config: RealtimeConfig;
  logger: Logger;
  apiKeys: Pick<ApiKeyService, 'authenticate' | 'authenticateFromMemory'>;
  /**
   * Failed authentications per address, shared with the HTTP API: past the limit an address's
   * credentials are refused (close 1013) before any key is looked up, unless already known.
   */
  authFailures?: Pick<AuthFailureGate, 'retryAfterSeconds' | 'failed'>;
  /**
   * The client's address as the HTTP API sees it (req.ip: X-Forwarded-For honoured as far as
   * TRUST_PROXY allows), for the failure limit, logs and audit. Default: the socket's peer.
   */
  clientIp?: (req: IncomingMessage) => string | undefined;
  /** The hub owns the bus: close() closes it. */
  bus: RealtimeBus;
  access: ChannelAccess;
  sources: EventSources;
  health: Pick<HealthService, 'detailed'>;
  firewall?: Pick<TerminalFirewall, 'decide'>;
  /** Authentication failures and approval decisions are recorded here, as the HTTP middleware does. */
  audit?: Pick<AuditLog, 'record'>;
}

/**
 * The WebSocket hub (docs/WEBSOCKET.md): authenticates each socket with an API key, keeps
 * its subscriptions, and sends it the events of its channels that its key may see. Events
 * come from the realtime bus, which carries every instance's events once to every hub.
 */
export class RealtimeHub {
  private readonly wss = new WebSocketServer(SERVER_OPTIONS);
  private readonly connections = new Set<HubConnection>();
  private readonly channels = new Map<Channel, Set<HubConnection>>();
  private readonly servers = new Map<Server, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();
  private readonly requests: HubRequests;
  private readonly stopForwarding: () => void;
  private readonly authTimers = new Map<HubConnection, NodeJS.Timeout>();
  private heartbeat: NodeJS.Timeout | undefined;
  private healthTimer: NodeJS.Timeout | undefined;
  private healthRunning = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: RealtimeHubDeps) {
    this.requests = new HubRequests({
      logger: deps.logger,
      access: deps.access,
      firewall: deps.firewall,
      audit: deps.audit,
      maxSubscriptions: MAX_SUBSCRIPTIONS,
      authenticate: (connection, credential, requestId) => this.authenticate(connection, credential, requestId, 'message'),
      subscribed: (connection, channel) => this.subscribed(connection, channel),
      unsubscribed: (connection, channel) => this.unsubscribed(connection, channel),
    });
    deps.bus.onMessage((message) => this.dispatch(message));
    this.stopForwarding = forwardEvents(deps.sources, deps.bus);
  }

  get busKind(): RealtimeBus['kind'] {
    return this.deps.bus.kind;
  }

  /** Open sockets and subscribers per channel, on this instance. */
  stats(): { connections: number; channels: Record<string, number> } {
    return { connections: this.connections.size, channels: Object.fromEntries([...this.channels].map(([c, s]) => [c, s.size])) };
  }

  /** Serves upgrades of `server` on /ws (others answer 404). Returns the function that detaches it again. */
  attach(server: Server): () => void {
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);
    server.on('upgrade', listener);
    this.servers.set(server, listener);
    return () => {
      server.off('upgrade', listener);
      this.servers.delete(server);
    };
  }

  /** Stops accepting, closes every socket with 1001 (cut after a short wait), stops forwarding and closes the bus. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const [server, listener] of this.servers) server.off('upgrade', listener);
      this.servers.clear();
      this.stopForwarding();
      clearInterval(this.heartbeat);
      clearInterval(this.healthTimer);
      const open = [...this.connections];
      const closed = open.map((c) => new Promise<void>((resolve) => (c.socket.readyState === c.socket.CLOSED ? resolve() : c.socket.once('close', () => resolve()))));
      for (const c of open) c.close(CLOSE_CODES.goingAway, 'server shutting down');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closed), new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
      clearTimeout(timer);
      for (const c of this.connections) c.socket.terminate();
      this.wss.close();
      await this.deps.bus.close();
    })();
    return this.closing;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const target = upgradeTarget(req);
    if (target.path !== HUB_PATH) return refuseUpgrade(socket, 404, `No WebSocket endpoint at this path; use ${HUB_PATH}`);
    if (this.closing) return refuseUpgrade(socket, 503, 'The server is shutting down');
    const credential = target.credentialInUrl ? undefined : upgradeCredential(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, req, credential, target.credentialInUrl));
  }

  private connected(ws: WebSocket, req: IncomingMessage, credential: string | undefined, credentialInUrl: boolean): void {
    const connection = new HubConnection(ws, {
      id: `ws_${randomBytes(6).toString('hex')}`,
      ip: this.deps.clientIp ? this.deps.clientIp(req) : req.socket.remoteAddress,
      maxBufferedBytes: this.deps.config.maxBufferedBytes,
      onSlowConsumer: (c, bufferedBytes) => this.deps.logger.warn('websocket slow consumer dropped', { connectionId: c.id, keyId: c.principal?.id, bufferedBytes, limit: this.deps.config.maxBufferedBytes }),
    });
    this.connections.add(connection);
    this.heartbeat ??= setInterval(() => this.beat(), this.deps.config.heartbeatMs).unref();
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return this.requests.receiveBinary(connection);
      this.requests.receive(connection, Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'));
    });
    // Protocol errors (a frame over the size limit, bad UTF-8): ws closes the socket itself.
    ws.on('error', (err) => this.deps.logger.info('websocket protocol error', { connectionId: connection.id, reason: err.message }));
    ws.on('close', (code) => this.disconnected(connection, code));

    if (credentialInUrl) return connection.close(CLOSE_CODES.credentialInUrl, 'credentials in the URL are refused: use a header or the auth message');
    if (this.connections.size > this.deps.config.maxConnections) return connection.close(CLOSE_CODES.tryAgainLater, 'too many connections: try again later');
    if (credential !== undefined) {
      connection.enqueue(() => this.authenticate(connection, credential, undefined, 'header'));
      return;
    }
    const timer = setTimeout(() => {
      this.authTimers.delete(connection);
      if (!connection.principal) connection.close(CLOSE_CODES.authTimeout, `no auth message within ${this.deps.config.authTimeoutMs} ms`);
    }, this.deps.config.authTimeoutMs);
    this.authTimers.set(connection, timer);
  }

  /** The same check as the HTTP middleware (ApiKeyService: constant-time digest comparison). */
  private async authenticate(connection: HubConnection, credential: string, requestId: string | undefined, via: 'header' | 'message'): Promise<void> {
    let principal;
    try {
      principal = credential ? this.deps.apiKeys.authenticateFromMemory(credential) : null;
      if (principal === undefined) {
        const retryAfterSeconds = (await this.deps.authFailures?.retryAfterSeconds(connection.ip)) ?? 0;
        if (retryAfterSeconds > 0) {
          clearTimeout(this.authTimers.get(connection));
          this.authTimers.delete(connection);
          this.deps.logger.info('websocket refused', { connectionId: connection.id, ip: connection.ip, via, reason: 'too many failed authentications' });
          return connection.close(CLOSE_CODES.tryAgainLater, `too many failed authentications from this address: retry in ${retryAfterSeconds} s`);
        }
        principal = await this.deps.apiKeys.authenticate(credential);
      }
    } catch (err) {
      this.deps.logger.warn('websocket credentials cannot be checked', { connectionId: connection.id, reason: (err as Error).message });
      return connection.close(CLOSE_CODES.internalError, 'credentials cannot be checked right now; reconnect later');
    }
    clearTimeout(this.authTimers.get(connection));
    this.authTimers.delete(connection);
    if (!principal) {
      const claimedKeyId = /^jrv_([a-f0-9]{16})_/.exec(credential)?.[1];
      this.deps.audit?.record({
        type: 'auth.failure',
        subject: HUB_PATH,
        outcome: credential ? 'invalid-credential' : 'malformed-credential',
        details: { reason: credential ? 'invalid-credential' : 'malformed-credential', method: 'GET', path: HUB_PATH, ip: connection.ip, via, ...(claimedKeyId ? { claimedKeyId } : {}) },
      });
      this.deps.logger.info('websocket refused', { connectionId: connection.id, ip: connection.ip, via, reason: 'invalid credentials' });
      if (credential) {
        await this.deps.authFailures?.failed(connection.ip).catch((err: Error) => this.deps.logger.warn('websocket authentication failure not counted', { connectionId: connection.id, reason: err.message }));
      }
      return connection.close(CLOSE_CODES.unauthorized, 'invalid credentials');
    }
    if (!connection.isOpen) return;
    connection.principal = principal;
    connection.credential = credential;
    this.deps.logger.info('websocket connected', { connectionId: connection.id, keyId: principal.id, ip: connection.ip, via });
    const { heartbeatMs, maxBufferedBytes } = this.deps.config;
    connection.send({
      type: 'ready',
      ...(requestId ? { requestId } : {}),
      principal: { kind: principal.kind, id: principal.id, scopes: principal.scopes },
      channels: this.deps.access.fixedChannelsFor(principal),
      limits: { heartbeatMs, maxBufferedBytes, maxMessageBytes: MAX_MESSAGE_BYTES, maxSubscriptions: MAX_SUBSCRIPTIONS },
    });
  }

  private disconnected(connection: HubConnection, code: number): void {
    this.connections.delete(connection);
    clearTimeout(this.authTimers.get(connection));
    this.authTimers.delete(connection);
    for (const channel of connection.subscriptions) this.unsubscribed(connection, channel);
    connection.subscriptions.clear();
    const durationMs = Date.now() - connection.connectedAt;
    if (connection.principal) this.deps.logger.info('websocket disconnected', { connectionId: connection.id, keyId: connection.principal.id, code, durationMs });
    if (this.connections.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /**
   * Pings every socket; one that has not answered the previous ping is cut. Keys revoked since
   * are closed with 4001. A socket already being closed is left to its closing handshake (cut by
   * ws after CLOSE_TIMEOUT_MS): a slow consumer reads its backlog before the 4008 and the pongs behind
   * it, and being cut meanwhile would leave it a bare 1006 instead of the reason.
   */
  private beat(): void {
    for (const connection of this.connections) {
      if (!connection.isOpen) continue;
      if (!connection.alive) {
        this.deps.logger.info('websocket peer stopped answering pings', { connectionId: connection.id, keyId: connection.principal?.id });
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
      const credential = connection.credential;
      if (!credential) continue;
      this.deps.apiKeys.authenticate(credential).then(
        (principal) => {
          if (principal === null) connection.close(CLOSE_CODES.unauthorized, 'the API key was revoked');
        },
        () => undefined, // The key store is unreachable: keep the socket, check again next beat.
      );
    }
  }

  private subscribed(connection: HubConnection, channel: Channel): void {
    let set = this.channels.get(channel);
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(connection);
    if (channel !== 'health') return;
    // A new health subscriber gets the current summary at once, then one per interval.
    void this.publishHealth([connection]);
    this.healthTimer ??= setInterval(() => void this.publishHealth(), this.deps.config.healthIntervalMs).unref();
  }

  private unsubscribed(connection: HubConnection, channel: Channel): void {
    const set = this.channels.get(channel);
    set?.delete(connection);
    if (set?.size) return;
    this.channels.delete(channel);
    if (channel === 'health') {
      clearInterval(this.healthTimer);
      this.healthTimer = undefined;
    }
  }

  private async publishHealth(only?: HubConnection[]): Promise<void> {
    // A slow check (the DAWG probe waits up to 1 s) must not pile up ticks.
    if (!only && this.healthRunning) return;
    if (!only) this.healthRunning = true;
    try {
      const summary = await this.deps.health.detailed();
      const text = JSON.stringify({ type: 'event', channel: 'health', event: 'health.summary', data: summary, at: new Date().toISOString() });
      for (const connection of only ?? this.channels.get('health') ?? []) connection.sendSerialized(text);
    } catch (err) {
      this.deps.logger.warn('health summary for websocket subscribers failed', { reason: (err as Error).message });
    } finally {
      if (!only) this.healthRunning = false;
    }
  }

  /**
   * A proactive suggestion to this instance's `suggestions` subscribers who may see it (each
   * instance reads the signals itself, so suggestions never cross the bus).
   */
  pushSuggestion(event: SuggestionEvent, suggestion: Suggestion, visibleTo: (principal: Principal) => boolean): void {
    const subscribers = this.channels.get('suggestions');
    if (!subscribers?.size) return;
    const text = JSON.stringify({ type: 'event', channel: 'suggestions', event, data: suggestion, at: suggestion.updatedAt });
    for (const connection of subscribers) if (visibleTo(connection.principal!)) connection.sendSerialized(text);
  }

  /** One event from the bus to the subscribers allowed to see it. Never throws (the publisher's change has happened). */
  private dispatch(message: HubMessage): void {
    try {
      if (message.kind === 'tasks') return this.dispatchTask(message);
      const subscribers = this.channels.get(message.kind);
      if (!subscribers) return;
      const text = JSON.stringify({ type: 'event', channel: message.kind, event: message.event, data: message.data, at: message.at });
      for (const connection of subscribers) {
        if (message.kind === 'costs' && !this.deps.access.visibleCost(connection.principal!, message)) continue;
        connection.sendSerialized(text);
      }
    } catch (err) {
      this.deps.logger.error('realtime event not delivered', { kind: message.kind, event: message.event, err });
    }
  }

  private dispatchTask(message: Extract<HubMessage, { kind: 'tasks' }>): void {
    const { jobId, workflowId } = message.data;
    const serialize = (channel: Channel) => JSON.stringify({ type: 'event', channel, event: message.event, data: message.data, at: message.at });
    for (const channel of new Set<Channel>([`jobs/${jobId}`, ...(workflowId ? [`jobs/${workflowId}` as const] : [])])) {
      const subscribers = this.channels.get(channel);
      if (!subscribers) continue;
      const text = serialize(channel);
      for (const connection of subscribers) connection.sendSerialized(text);
    }
    const subscribers = [...(this.channels.get('tasks') ?? [])];
    if (!subscribers.length) return;
    const text = serialize('tasks');
    const others = subscribers.filter((c) => !isAdmin(c.principal!));
    for (const connection of subscribers) if (isAdmin(connection.principal!)) connection.sendSerialized(text);
    if (!others.length) return;
    // Keys without admin see only the jobs they queued; the owner is looked up once per job (cached).
    this.deps.access.ownerOf(message).then(
      (owner) => {
        if (!owner.exists) return;
        for (const connection of others) if (connection.principal!.id === owner.createdBy && connection.subscriptions.has('tasks')) connection.sendSerialized(text);
      },
      (err: unknown) => this.deps.logger.warn('task event not delivered: its owner could not be looked up', { jobId, reason: (err as Error).message }),
    );
  }
}
