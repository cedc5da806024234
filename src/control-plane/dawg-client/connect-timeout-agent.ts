import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';

/**
 * Node's agents have no connect timeout of their own: a host that drops SYNs would hold a
 * request for the whole response timeout. These agents give up on the connection alone
 * after `connectTimeoutMs`, with code ECONNTIMEOUT, so "unreachable" is told quickly and
 * apart from "slow to answer".
 */
function withConnectTimeout<S extends Duplex>(socket: S, connectTimeoutMs: number, event: 'connect' | 'secureConnect'): S {
  const timer = setTimeout(() => {
    socket.destroy(Object.assign(new Error(`connect timed out after ${connectTimeoutMs} ms`), { code: 'ECONNTIMEOUT' }));
  }, connectTimeoutMs);
  const clear = () => clearTimeout(timer);
  socket.once(event, clear);
  socket.once('error', clear);
  socket.once('close', clear);
  return socket;
}

type Callback = (err: Error | null, stream: Duplex) => void;

export function createAgent(baseUrl: string, connectTimeoutMs: number): http.Agent {
  const options = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64 };
  if (new URL(baseUrl).protocol === 'https:') {
    return new (class extends https.Agent {
      override createConnection(opts: http.RequestOptions, cb?: Callback) {
        const socket = super.createConnection(opts, cb);
        return socket && withConnectTimeout(socket, connectTimeoutMs, 'secureConnect');
      }
    })(options);
  }
  return new (class extends http.Agent {
    override createConnection(opts: http.ClientRequestArgs, cb?: Callback) {
      const socket = super.createConnection(opts, cb);
      return socket && withConnectTimeout(socket, connectTimeoutMs, 'connect');
    }
  })(options);
}
