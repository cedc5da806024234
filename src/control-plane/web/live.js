// The dashboard's connection to the WebSocket hub (docs/WEBSOCKET.md). Browsers cannot set
// headers on a WebSocket, so the key goes in the first message ({type:"auth"}), never in the
// URL (the hub refuses that with 4003). Reconnects with backoff; after every (re)connection the
// panels re-read their state over HTTP, since the hub does not replay missed events.

import { asArray, asObject, asString, isObject } from './dom.js';

const PING_EVERY_MS = 20_000;
/** No message (not even a pong) for this long: the connection is dead, reconnect. */
const SILENCE_LIMIT_MS = 50_000;
const MAX_BACKOFF_MS = 30_000;
/** Close codes after which trying again with the same key is pointless. */
const FINAL_CODES = new Map([
  [4001, 'The live connection refused the API key (4001).'],
  [4003, 'The live connection was refused: credentials in the URL (4003).'],
  [1009, 'The live connection closed: a message was too large (1009).'],
]);

export class LiveSocket {
  /**
   * @param {object} options
   * @param {() => string | null} options.getKey
   * @param {string[]} options.channels channels wanted; only those the key may use are subscribed
   * @param {(ready: object) => void} options.onReady after auth and every subscription answered
   * @param {(channel: string, event: string, data: unknown, at: string) => void} options.onEvent
   * @param {(state: string, text: string) => void} options.onState connecting | live | retrying | failed | stopped
   * @param {(channel: string, message: string) => void} options.onChannelError
   */
  constructor(options) {
    this.options = options;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = undefined;
    this.pingTimer = undefined;
    this.lastMessageAt = 0;
    this.stopped = true;
    this.pendingAcks = new Set();
    this.ready = null;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    if (this.ws) this.ws.close(1000, 'dashboard closed');
    this.ws = null;
    this.options.onState('stopped', 'Live updates stopped.');
  }

  connect() {
    const key = this.options.getKey();
    if (!key || this.stopped) return;
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    let ws;
    try {
      ws = new WebSocket(`${scheme}://${location.host}/ws`);
    } catch (err) {
      this.retry(`Cannot open the live connection: ${err instanceof Error ? err.message : err}`);
      return;
    }
    this.ws = ws;
    this.ready = null;
    this.options.onState('connecting', 'Connecting live updates…');
    ws.addEventListener('open', () => {
      this.lastMessageAt = Date.now();
      ws.send(JSON.stringify({ type: 'auth', apiKey: key, requestId: 'auth' }));
    });
    ws.addEventListener('message', (e) => {
      this.lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(typeof e.data === 'string' ? e.data : '');
      } catch {
        return; // Not JSON: not part of the protocol, ignored.
      }
      if (isObject(message)) this.receive(ws, message);
    });
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      if (this.stopped) return;
      const final = FINAL_CODES.get(e.code);
      if (final) return this.options.onState('failed', final);
      this.retry(`Live connection lost (${e.code}${e.reason ? `: ${e.reason}` : ''}).`);
    });
  }

  receive(ws, message) {
    const type = asString(message.type);
    if (type === 'ready') return this.onReady(ws, message);
    if (type === 'event') {
      return this.options.onEvent(asString(message.channel), asString(message.event), message.data, asString(message.at));
    }
    if (type === 'ack' || type === 'error') {
      const requestId = asString(message.requestId);
      if (type === 'error' && requestId.startsWith('sub:')) this.options.onChannelError(requestId.slice(4), asString(message.message, 'refused'));
      if (this.pendingAcks.delete(requestId) && this.pendingAcks.size === 0) this.subscribed();
    }
  }

  onReady(ws, message) {
    this.attempt = 0;
    this.ready = message;
    const allowed = new Set(asArray(message.channels));
    const wanted = this.options.channels.filter((c) => allowed.has(c));
    this.pendingAcks = new Set(wanted.map((c) => `sub:${c}`));
    for (const channel of wanted) ws.send(JSON.stringify({ type: 'subscribe', channel, requestId: `sub:${channel}` }));
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => this.keepAlive(ws), PING_EVERY_MS);
    if (wanted.length === 0) this.subscribed();
  }

  subscribed() {
    const principal = asObject(asObject(this.ready).principal);
    this.options.onState('live', `Live updates on (key ${asString(principal.id, '?')}).`);
    this.options.onReady(this.ready);
  }

  keepAlive(ws) {
    if (Date.now() - this.lastMessageAt > SILENCE_LIMIT_MS) {
      ws.close(4000, 'no answer from the server');
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
  }

  retry(text) {
    if (this.stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt += 1;
    this.options.onState('retrying', `${text} Retrying in ${Math.round(delay / 1000)} s.`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
