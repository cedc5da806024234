import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/** What undici's connector really returns (its types say void): the socket being connected. */
type ConnectReturningSocket = (options: buildConnector.Options, callback: buildConnector.Callback) => Socket | undefined;

/**
 * undici's own connect timeout runs on its coarse timers (up to a second late), too slow for
 * "DAWG unreachable → 503 within 1 s". This connector gives up on the connection alone after
 * `connectTimeoutMs` on a plain timer, with code ECONNTIMEOUT, so "unreachable" is told
 * quickly and apart from "slow to answer".
 */
export function connectorWithTimeout(connectTimeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: 0 }) as unknown as ConnectReturningSocket;
  return (options, callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket?.destroy();
      callback(Object.assign(new Error(`connect timed out after ${connectTimeoutMs} ms`), { code: 'ECONNTIMEOUT' }), null);
    }, connectTimeoutMs);
    const socket = connect(options, (...args) => {
      clearTimeout(timer);
      if (settled) {
        args[1]?.destroy();
        return;
      }
      settled = true;
      callback(...args);
    });
  };
}
